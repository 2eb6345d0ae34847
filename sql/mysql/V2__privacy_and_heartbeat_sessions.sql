-- What privacy and correctness need on top of the deployment's schema: millisecond times, the
-- session facts that heartbeats accumulate (see docs/api.md), a visitor hash instead of an IP,
-- a reduced user agent, unique event ids for exactly-once storage, and the daily salts.
-- Plain ALTERs (no IF NOT EXISTS) so that MySQL 8 runs them as well as MariaDB.

ALTER TABLE ide_sessions
    MODIFY start_time DATETIME(3) NOT NULL,
    MODIFY last_activity DATETIME(3) NULL,
    MODIFY end_time DATETIME(3) NULL,
    MODIFY lines_executed BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN site_id VARCHAR(64) NOT NULL DEFAULT '',
    ADD COLUMN visitor_hash CHAR(32) NULL,
    ADD COLUMN active_seconds INT NULL,
    ADD COLUMN browser VARCHAR(64) NULL,
    ADD COLUMN os VARCHAR(64) NULL,
    ADD COLUMN device VARCHAR(16) NULL,
    ADD COLUMN first_seen_at DATETIME(3) NULL,
    ADD COLUMN last_seen_at DATETIME(3) NULL,
    ADD COLUMN start_estimate DATETIME(3) NULL,
    ADD COLUMN max_offset_ms BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN visible_ms BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN active_ms BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN end_offset_ms BIGINT NULL,
    ADD INDEX idx_open_sessions (end_time, last_seen_at);

ALTER TABLE program_executions
    MODIFY timestamp DATETIME(3) NOT NULL,
    ADD COLUMN event_id BINARY(16) NULL,
    ADD COLUMN seq INT UNSIGNED NULL,
    ADD UNIQUE INDEX uq_program_event (event_id);

ALTER TABLE feature_usage
    MODIFY timestamp DATETIME(3) NOT NULL,
    ADD COLUMN event_id BINARY(16) NULL,
    ADD COLUMN seq INT UNSIGNED NULL,
    ADD UNIQUE INDEX uq_feature_event (event_id);

CREATE TABLE visitor_salts (
    day DATE PRIMARY KEY,
    salt BINARY(32) NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE = InnoDB;
