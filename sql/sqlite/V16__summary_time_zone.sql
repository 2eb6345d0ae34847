-- Mirrors the MySQL V16: the zone each all-sites summary row's day was rolled up in (NULL, as
-- the previous release writes it, reads as UTC).

ALTER TABLE daily_usage_summary ADD COLUMN time_zone TEXT;
