-- A covering index for the feature-data report's ranking (`store::sql::bounded::feature_data_top`):
-- one feature's texts are grouped by key over the range from the index alone, in key order, with
-- no row lookup per day and text, and the text of each listed key is found by (feature, key,
-- day). On a year of one busy feature (365 x 51 rows among 30 features) the ranking took 45 ms
-- with (feature_name, date, ...) leading and 12 ms with this order; bench k's feature-data route
-- read 168 ms p99 without either. Expand only: `idx_feature_date` stays for the previous release.
CREATE INDEX idx_feature_data_rank
    ON daily_site_feature_data (feature_name, data_key, date, site_id, events);
