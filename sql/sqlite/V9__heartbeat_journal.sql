-- Mirrors the MySQL V9: the heartbeat journal (docs/heartbeat-journal.md). created_at:
-- milliseconds since 1970 (UTC).
CREATE TABLE heartbeat_journal (
    id INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
    body TEXT NOT NULL
);
