-- Mirrors the MySQL V5: the idle sweep's and the rollup's indexes carry `last_seen_minute`
-- (minutes since 1970-01-01 UTC of last_seen_at) instead of the precise last_seen_at, which every
-- heartbeat moves. SQLite rewrites the entries of every index whose columns an UPDATE sets, so
-- the writer sets the minute (and the other indexed columns) only in the statement it uses when
-- one of them changes; a heartbeat within the same minute updates unindexed columns only.

ALTER TABLE ide_sessions ADD COLUMN last_seen_minute INTEGER NULL;

UPDATE ide_sessions
    SET last_seen_minute = CAST(strftime('%s', COALESCE(last_seen_at, last_activity, start_time)) AS INTEGER) / 60;

DROP INDEX idx_open_sessions;
DROP INDEX idx_last_seen;
CREATE INDEX idx_open_sessions_minute ON ide_sessions (end_time, last_seen_minute);
CREATE INDEX idx_last_seen_minute ON ide_sessions (last_seen_minute);
