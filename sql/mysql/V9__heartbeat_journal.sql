-- The heartbeat journal (knob `heartbeat_journal`, docs/heartbeat-journal.md): a flush's
-- heartbeat-only session updates as one compact row (a JSON array of entries), committed with
-- the flush; the folder applies rows to ide_sessions and deletes them in one transaction. Rows
-- are only ever inserted by flushes and deleted by a fold, so replicas on other Galera nodes
-- never write the same row (auto-increment steps by the cluster size). The previous release
-- does not know the table and leaves it alone.
CREATE TABLE heartbeat_journal (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    body MEDIUMTEXT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
