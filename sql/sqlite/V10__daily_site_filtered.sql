-- Mirrors the MySQL V10: sessions filtered out instead of stored, per (day, site, reason).
CREATE TABLE daily_site_filtered (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    sessions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (date, site_id, reason)
);
