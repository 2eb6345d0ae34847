-- Mirrors the MySQL V8: programs, errors and feature data per (day, site).

CREATE TABLE daily_site_programs (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    runs INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    unknown INTEGER NOT NULL,
    lines_executed INTEGER NOT NULL,
    execution_ms_total INTEGER NOT NULL,
    execution_ms_max INTEGER NOT NULL,
    PRIMARY KEY (date, site_id)
);

CREATE TABLE daily_site_run_times (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    runs INTEGER NOT NULL,
    PRIMARY KEY (date, site_id, bucket)
);

CREATE TABLE daily_site_errors (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    group_key TEXT NOT NULL,
    error_group TEXT NOT NULL,
    runs INTEGER NOT NULL,
    sessions INTEGER NOT NULL,
    last_seen TEXT NOT NULL,
    example TEXT NOT NULL,
    PRIMARY KEY (date, site_id, group_key)
);

CREATE TABLE daily_site_feature_data (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    feature_name TEXT NOT NULL,
    data_key TEXT NOT NULL,
    feature_data TEXT NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (date, site_id, feature_name, data_key)
);
CREATE INDEX idx_site_feature_data_date ON daily_site_feature_data (feature_name, date);

DELETE FROM rollup_state;
