-- The embedded store's tables: the same names and columns as the MySQL ones (sql/mysql), so
-- queries, reports and docs read the same on both. Each file mirrors the MySQL migration of the
-- same version. Times are UTC text 'YYYY-MM-DD HH:MM:SS.fff' and dates 'YYYY-MM-DD': they sort as
-- they compare, and SQLite's DATE() and strftime() read them.

CREATE TABLE ide_sessions (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE,
    start_time TEXT NOT NULL,
    last_activity TEXT NULL,
    end_time TEXT NULL,
    duration_seconds INTEGER NULL,
    user_agent TEXT NULL,
    ip_address TEXT NULL,
    programs_run INTEGER NOT NULL DEFAULT 0,
    lines_executed INTEGER NOT NULL DEFAULT 0,
    errors_encountered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_start_time ON ide_sessions (start_time);

CREATE TABLE program_executions (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    program_lines INTEGER NULL,
    execution_time_ms INTEGER NULL,
    lines_executed INTEGER NULL,
    success INTEGER NULL,
    error_message TEXT NULL
);
CREATE INDEX idx_program_session ON program_executions (session_id);
CREATE INDEX idx_program_timestamp ON program_executions (timestamp);

CREATE TABLE feature_usage (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    feature_name TEXT NOT NULL,
    feature_data TEXT NULL,
    CHECK (feature_data IS NULL OR json_valid(feature_data))
);
CREATE INDEX idx_feature_session ON feature_usage (session_id);
CREATE INDEX idx_feature_time ON feature_usage (feature_name, timestamp);

CREATE TABLE daily_usage_summary (
    date TEXT PRIMARY KEY,
    unique_visitors INTEGER NOT NULL DEFAULT 0,
    ide_sessions INTEGER NOT NULL DEFAULT 0,
    programs_run INTEGER NOT NULL DEFAULT 0,
    total_lines_executed INTEGER NOT NULL DEFAULT 0,
    avg_session_duration_seconds INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE VIEW session_summary AS
SELECT DATE(start_time) AS date,
       COUNT(*) AS sessions,
       AVG(duration_seconds) AS avg_duration_seconds,
       SUM(programs_run) AS programs_run,
       SUM(lines_executed) AS lines_executed
FROM ide_sessions
WHERE end_time IS NOT NULL
GROUP BY DATE(start_time);
