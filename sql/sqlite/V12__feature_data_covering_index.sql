-- Mirrors the MySQL V12: a covering index for the feature-data report's ranking.
CREATE INDEX idx_feature_data_rank
    ON daily_site_feature_data (feature_name, data_key, date, site_id, events);
