-- Mirrors the MySQL V2: session facts accumulated from heartbeats, a visitor hash instead of an
-- IP, a reduced user agent, unique event ids for exactly-once storage, and the daily salts.
-- (SQLite needs no type changes: V1's text times already hold milliseconds.)

ALTER TABLE ide_sessions ADD COLUMN site_id TEXT NOT NULL DEFAULT '';
ALTER TABLE ide_sessions ADD COLUMN visitor_hash TEXT NULL;
ALTER TABLE ide_sessions ADD COLUMN active_seconds INTEGER NULL;
ALTER TABLE ide_sessions ADD COLUMN browser TEXT NULL;
ALTER TABLE ide_sessions ADD COLUMN os TEXT NULL;
ALTER TABLE ide_sessions ADD COLUMN device TEXT NULL;
ALTER TABLE ide_sessions ADD COLUMN first_seen_at TEXT NULL;
ALTER TABLE ide_sessions ADD COLUMN last_seen_at TEXT NULL;
ALTER TABLE ide_sessions ADD COLUMN start_estimate TEXT NULL;
ALTER TABLE ide_sessions ADD COLUMN max_offset_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ide_sessions ADD COLUMN visible_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ide_sessions ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ide_sessions ADD COLUMN end_offset_ms INTEGER NULL;
CREATE INDEX idx_open_sessions ON ide_sessions (end_time, last_seen_at);

ALTER TABLE program_executions ADD COLUMN event_id BLOB NULL;
ALTER TABLE program_executions ADD COLUMN seq INTEGER NULL;
CREATE UNIQUE INDEX uq_program_event ON program_executions (event_id);

ALTER TABLE feature_usage ADD COLUMN event_id BLOB NULL;
ALTER TABLE feature_usage ADD COLUMN seq INTEGER NULL;
CREATE UNIQUE INDEX uq_feature_event ON feature_usage (event_id);

CREATE TABLE visitor_salts (
    day TEXT PRIMARY KEY,
    salt BLOB NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
