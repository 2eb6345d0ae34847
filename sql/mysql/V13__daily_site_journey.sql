-- The journey report (issue 25, docs/reports.md): per (day, site) what the sessions that started
-- that day did with programs, written by the same rollup pass as the day's other summaries (from
-- one read of the day's runs and feature uses ordered by session). `site_id` as in the V8 tables:
-- the session's, or '*' for a stored id that is no valid site, so a day's rows add up to the day.
-- Counts only: no row names a session. New tables only: the previous release ignores them.

CREATE TABLE daily_site_journey (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    sessions INT NOT NULL,
    with_run INT NOT NULL,
    with_success INT NOT NULL,
    with_failure INT NOT NULL,
    recovered INT NOT NULL,
    failed_before_success INT NOT NULL,
    succeeded_after_failure INT NOT NULL,
    PRIMARY KEY (date, site_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Sessions per power-of-two bucket of seconds from the session's start to its first run
-- (measure `first_run`) or first successful run (`first_success`): bucket b holds
-- [2^b, 2^(b+1)) s, bucket 0 also 0 s. The route's median and p90 come from these.
CREATE TABLE daily_site_journey_times (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    measure VARCHAR(16) NOT NULL,
    bucket SMALLINT NOT NULL,
    sessions INT NOT NULL,
    PRIMARY KEY (date, site_id, measure, bucket)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
