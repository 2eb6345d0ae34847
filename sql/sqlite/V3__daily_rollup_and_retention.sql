-- Mirrors the MySQL V3: the daily rollup's tables (see docs/reports.md) and its watermark.

ALTER TABLE daily_usage_summary ADD COLUMN total_duration_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_usage_summary ADD COLUMN total_active_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_usage_summary ADD COLUMN avg_active_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_usage_summary ADD COLUMN program_errors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_usage_summary ADD COLUMN feature_uses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_usage_summary ADD COLUMN rolled_up_at TEXT NULL;

CREATE TABLE daily_feature_usage (
    date TEXT NOT NULL,
    feature_name TEXT NOT NULL,
    uses INTEGER NOT NULL,
    sessions INTEGER NOT NULL,
    PRIMARY KEY (date, feature_name)
);

CREATE TABLE daily_client_usage (
    date TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    PRIMARY KEY (date, dimension, value)
);

CREATE TABLE rollup_state (
    id INTEGER PRIMARY KEY,
    seen_until TEXT NOT NULL
);

CREATE INDEX idx_last_seen ON ide_sessions (last_seen_at);
CREATE INDEX idx_feature_timestamp ON feature_usage (timestamp);
