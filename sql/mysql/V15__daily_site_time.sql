-- Where the time goes (issue 25): per (day, site), the sessions whose browser measured a visible
-- time, the sums of their visible and active milliseconds, and how many of them had no input at
-- all, written by the rollup pass that writes a day's other summaries (a session counts on the
-- day it started). Running time is `daily_site_programs.execution_ms_total` (V8), read beside it.
-- A new table only: the previous release ignores it, and its rollup leaves these rows as they were.

CREATE TABLE daily_site_time (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    sessions INT NOT NULL,
    visible_ms BIGINT NOT NULL,
    active_ms BIGINT NOT NULL,
    no_input_sessions INT NOT NULL,
    PRIMARY KEY (date, site_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
