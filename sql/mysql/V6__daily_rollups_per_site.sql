-- Reports per site (`?site=` on the stats API): the same daily summaries as daily_usage_summary,
-- daily_feature_usage and daily_client_usage, kept per (day, site). daily_usage_summary stays the
-- all-sites total that the deployment's own queries read (primary key `date`).

CREATE TABLE daily_site_usage (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    unique_visitors INT NOT NULL,
    ide_sessions INT NOT NULL,
    programs_run INT NOT NULL,
    total_lines_executed BIGINT NOT NULL,
    avg_session_duration_seconds INT NOT NULL,
    total_duration_seconds BIGINT NOT NULL,
    total_active_seconds BIGINT NOT NULL,
    avg_active_seconds INT NOT NULL,
    program_errors INT NOT NULL,
    feature_uses INT NOT NULL,
    rolled_up_at DATETIME(3) NOT NULL,
    PRIMARY KEY (date, site_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE daily_site_feature_usage (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    feature_name VARCHAR(64) NOT NULL,
    uses INT NOT NULL,
    sessions INT NOT NULL,
    PRIMARY KEY (date, site_id, feature_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE daily_site_client_usage (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    dimension VARCHAR(16) NOT NULL,
    value VARCHAR(64) NOT NULL,
    sessions INT NOT NULL,
    PRIMARY KEY (date, site_id, dimension, value)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
