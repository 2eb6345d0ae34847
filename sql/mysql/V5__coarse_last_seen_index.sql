-- Heartbeats no longer rewrite index entries (issue 15). Every heartbeat moves `last_seen_at`
-- forward, and two secondary indexes carried it (idx_open_sessions, idx_last_seen), so each one
-- was a row update plus two index delete-and-insert pairs. The idle sweep and the rollup's
-- "touched since" need minute granularity only: the indexes now carry `last_seen_minute`
-- (minutes since 1970-01-01 UTC of last_seen_at), which changes at most once a minute per
-- session (one heartbeat in four at a 15 s interval), while the precise `last_seen_at` stays in
-- the row, unindexed, for the exact comparison. InnoDB leaves a secondary index alone when an
-- update does not change its key, so the other heartbeats touch only the clustered row.
--
-- Rows of the old tracker (no last_seen_at) get the minute of their last activity or start, so
-- the sweep finds them through the index as before; rows written later without a minute (the
-- old tracker during a switch-over) are found through the NULL end of the same index.

ALTER TABLE ide_sessions ADD COLUMN last_seen_minute INT NULL;

UPDATE ide_sessions
    SET last_seen_minute = TIMESTAMPDIFF(MINUTE, '1970-01-01 00:00:00', COALESCE(last_seen_at, last_activity, start_time));

ALTER TABLE ide_sessions
    DROP INDEX idx_open_sessions,
    DROP INDEX idx_last_seen,
    ADD INDEX idx_open_sessions_minute (end_time, last_seen_minute),
    ADD INDEX idx_last_seen_minute (last_seen_minute);
