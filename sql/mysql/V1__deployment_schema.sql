-- The tables of the existing deployment, as its dashboards and queries know them. IF NOT EXISTS:
-- on a database that already has them (adopting a running deployment) this changes nothing, and
-- V2 upgrades them in place. Every table has a primary key (managed MySQL services require one).

CREATE TABLE IF NOT EXISTS ide_sessions (
    id INT AUTO_INCREMENT PRIMARY KEY,
    session_id VARCHAR(64) NOT NULL UNIQUE,
    start_time DATETIME NOT NULL,
    last_activity DATETIME NULL,
    end_time DATETIME NULL,
    duration_seconds INT NULL,
    user_agent TEXT NULL,
    ip_address VARCHAR(45) NULL,
    programs_run INT NOT NULL DEFAULT 0,
    lines_executed INT NOT NULL DEFAULT 0,
    errors_encountered INT NOT NULL DEFAULT 0,
    INDEX idx_start_time (start_time)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS program_executions (
    id INT AUTO_INCREMENT PRIMARY KEY,
    session_id VARCHAR(64) NOT NULL,
    timestamp DATETIME NOT NULL,
    program_lines INT NULL,
    execution_time_ms INT NULL,
    lines_executed INT NULL,
    success BOOLEAN NULL,
    error_message TEXT NULL,
    INDEX idx_session (session_id),
    INDEX idx_timestamp (timestamp)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS feature_usage (
    id INT AUTO_INCREMENT PRIMARY KEY,
    session_id VARCHAR(64) NOT NULL,
    timestamp DATETIME NOT NULL,
    feature_name VARCHAR(64) NOT NULL,
    feature_data JSON NULL,
    INDEX idx_session (session_id),
    INDEX idx_feature_time (feature_name, timestamp)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS daily_usage_summary (
    date DATE PRIMARY KEY,
    unique_visitors INT NOT NULL DEFAULT 0,
    ide_sessions INT NOT NULL DEFAULT 0,
    programs_run INT NOT NULL DEFAULT 0,
    total_lines_executed BIGINT NOT NULL DEFAULT 0,
    avg_session_duration_seconds INT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE OR REPLACE VIEW session_summary AS
SELECT DATE(start_time) AS date,
       COUNT(*) AS sessions,
       AVG(duration_seconds) AS avg_duration_seconds,
       SUM(programs_run) AS programs_run,
       SUM(lines_executed) AS lines_executed
FROM ide_sessions
WHERE end_time IS NOT NULL
GROUP BY DATE(start_time);
