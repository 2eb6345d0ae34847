-- Mirrors the MySQL V6: the daily summaries per (day, site); daily_usage_summary stays the total.

CREATE TABLE daily_site_usage (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    unique_visitors INTEGER NOT NULL,
    ide_sessions INTEGER NOT NULL,
    programs_run INTEGER NOT NULL,
    total_lines_executed INTEGER NOT NULL,
    avg_session_duration_seconds INTEGER NOT NULL,
    total_duration_seconds INTEGER NOT NULL,
    total_active_seconds INTEGER NOT NULL,
    avg_active_seconds INTEGER NOT NULL,
    program_errors INTEGER NOT NULL,
    feature_uses INTEGER NOT NULL,
    rolled_up_at TEXT NOT NULL,
    PRIMARY KEY (date, site_id)
);

CREATE TABLE daily_site_feature_usage (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    feature_name TEXT NOT NULL,
    uses INTEGER NOT NULL,
    sessions INTEGER NOT NULL,
    PRIMARY KEY (date, site_id, feature_name)
);

CREATE TABLE daily_site_client_usage (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    PRIMARY KEY (date, site_id, dimension, value)
);
