-- Reports: the daily rollup keeps what the dashboard shows after retention deleted the raw rows
-- (see docs/reports.md). Every figure of a day is attributed to the UTC date of the sessions'
-- start_time, so one session is counted in exactly one day.

ALTER TABLE daily_usage_summary
    ADD COLUMN total_duration_seconds BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN total_active_seconds BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN avg_active_seconds INT NOT NULL DEFAULT 0,
    ADD COLUMN program_errors INT NOT NULL DEFAULT 0,
    ADD COLUMN feature_uses INT NOT NULL DEFAULT 0,
    ADD COLUMN rolled_up_at DATETIME(3) NULL;

-- Uses of each feature by sessions that started that day.
CREATE TABLE daily_feature_usage (
    date DATE NOT NULL,
    feature_name VARCHAR(64) NOT NULL,
    uses INT NOT NULL,
    sessions INT NOT NULL,
    PRIMARY KEY (date, feature_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Sessions per browser, OS and device class ('browser', 'os', 'device') that started that day.
CREATE TABLE daily_client_usage (
    date DATE NOT NULL,
    dimension VARCHAR(16) NOT NULL,
    value VARCHAR(64) NOT NULL,
    sessions INT NOT NULL,
    PRIMARY KEY (date, dimension, value)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The rollup's watermark: sessions that received a batch since it changed are re-rolled up, so
-- late events of a client that was offline for days still reach their day.
CREATE TABLE rollup_state (
    id TINYINT PRIMARY KEY,
    seen_until DATETIME(3) NOT NULL
) ENGINE = InnoDB;

-- Finding touched sessions and expired events without full scans.
ALTER TABLE ide_sessions ADD INDEX idx_last_seen (last_seen_at);
ALTER TABLE feature_usage ADD INDEX idx_feature_timestamp (timestamp);
