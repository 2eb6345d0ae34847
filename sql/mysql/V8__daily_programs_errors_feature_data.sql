-- The programs, errors and feature-data routes from per-day summaries, as the other stats routes
-- (docs/reports.md). Every row counts the runs and events of the sessions that *started* that day,
-- per site: `site_id` is the session's, or '*' for a stored id that is no valid site (never
-- written by this aggregator), so the sum over a day's rows is the day's all-sites figure.
-- Texts too long for a key are keyed by the SHA-256 (hex) of their exact text.

-- Program runs: counts, lines executed, run time total and longest.
CREATE TABLE daily_site_programs (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    runs INT NOT NULL,
    failed INT NOT NULL,
    unknown INT NOT NULL,
    lines_executed BIGINT NOT NULL,
    execution_ms_total BIGINT NOT NULL,
    execution_ms_max BIGINT NOT NULL,
    PRIMARY KEY (date, site_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Runs per power-of-two run-time bucket: bucket b holds [2^b, 2^(b+1)) ms, bucket 0 also 0 ms.
CREATE TABLE daily_site_run_times (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    bucket SMALLINT NOT NULL,
    runs INT NOT NULL,
    PRIMARY KEY (date, site_id, bucket)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Failed runs per error group (the message with its numbers as `#`, at most 200 characters):
-- runs, sessions affected (a session has one day and one site, so they add up across rows), the
-- latest run and its message (cut to 200 characters).
CREATE TABLE daily_site_errors (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    group_key CHAR(64) NOT NULL,
    error_group TEXT NOT NULL,
    runs INT NOT NULL,
    sessions INT NOT NULL,
    last_seen DATETIME(3) NOT NULL,
    example TEXT NOT NULL,
    PRIMARY KEY (date, site_id, group_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Events per distinct `feature_data` text of each feature.
CREATE TABLE daily_site_feature_data (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    feature_name VARCHAR(64) NOT NULL,
    data_key CHAR(64) NOT NULL,
    feature_data LONGTEXT NOT NULL,
    events INT NOT NULL,
    PRIMARY KEY (date, site_id, feature_name, data_key),
    INDEX idx_feature_date (feature_name, date)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The days rolled up before these tables existed have no rows in them: forgetting the rollup's
-- watermark makes the next rollup (`serve` runs one at start) recompute every kept day, and the
-- stats API answer every day from the raw rows until then.
DELETE FROM rollup_state;
