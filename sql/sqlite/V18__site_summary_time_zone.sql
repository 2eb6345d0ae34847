-- Mirrors the MySQL V18: the zone each site's summary row's day was rolled up in (NULL, as the
-- previous release writes it, reads as the zone of that day's all-sites row, V16).

ALTER TABLE daily_site_usage ADD COLUMN time_zone TEXT;
