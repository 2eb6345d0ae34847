-- The funnel report (issue 25, docs/reports.md): per (day, site, step) the sessions that started
-- that day and reached the step of the configured funnel (`funnel`) and every step before it, in
-- order. Written by the rollup with the funnel configured at the time: a changed funnel applies to
-- the days rolled up after it, and `step_name` keeps which step a row counted. At most 8 steps
-- (validated at config load). Counts only: no row names a session. A new table only.

CREATE TABLE daily_site_funnel (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    step SMALLINT NOT NULL,
    step_name VARCHAR(80) NOT NULL,
    sessions INT NOT NULL,
    PRIMARY KEY (date, site_id, step)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The days rolled up before V13 have no journey or funnel rows: forgetting the rollup's
-- watermark makes the next rollup (`serve` runs one at start) recompute every kept day, as V8 did.
DELETE FROM rollup_state;
