-- The hourly report (issue 25): per (day, hour, site) summaries written by the same rollup pass
-- that writes a day's other summaries (a session counts in the hour it started; visitors are
-- distinct within the hour). Hours are UTC hours. A new table only: the previous release ignores
-- it, and its rollup leaves the rows of the days it rewrites as they were.

CREATE TABLE daily_site_hours (
    date DATE NOT NULL,
    hour TINYINT UNSIGNED NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    sessions INT NOT NULL,
    unique_visitors INT NOT NULL,
    programs_run INT NOT NULL,
    program_errors INT NOT NULL,
    lines_executed BIGINT NOT NULL,
    total_duration_seconds BIGINT NOT NULL,
    total_active_seconds BIGINT NOT NULL,
    PRIMARY KEY (date, hour, site_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
