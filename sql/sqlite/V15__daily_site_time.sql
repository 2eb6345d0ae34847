-- Mirrors the MySQL V15: per (day, site) visible, active and no-input figures of the time report.

CREATE TABLE daily_site_time (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    visible_ms INTEGER NOT NULL,
    active_ms INTEGER NOT NULL,
    no_input_sessions INTEGER NOT NULL,
    PRIMARY KEY (date, site_id)
);
