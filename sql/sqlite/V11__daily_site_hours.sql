-- Mirrors the MySQL V11: per (day, hour, site) summaries of the hourly report.

CREATE TABLE daily_site_hours (
    date TEXT NOT NULL,
    hour INTEGER NOT NULL,
    site_id TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    unique_visitors INTEGER NOT NULL,
    programs_run INTEGER NOT NULL,
    program_errors INTEGER NOT NULL,
    lines_executed INTEGER NOT NULL,
    total_duration_seconds INTEGER NOT NULL,
    total_active_seconds INTEGER NOT NULL,
    PRIMARY KEY (date, hour, site_id)
);
