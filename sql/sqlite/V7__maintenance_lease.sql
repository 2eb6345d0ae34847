-- Mirrors the MySQL V7: the lease that lets one replica at a time run the rollup and retention.
-- expires_at: milliseconds since 1970 (UTC).
CREATE TABLE maintenance_leases (
    name TEXT NOT NULL PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
