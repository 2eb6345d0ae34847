-- Per-site time zones (issue 25, `site_timezones`): the zone (IANA name) each site's summary row's
-- day was rolled up in, so that a change of a site's zone is seen and its kept days are re-rolled
-- on their new local days. A new nullable column only: the previous release's rollup leaves it
-- NULL, which reads as the zone of that day's all-sites row (V16), the only zone it rolled up in.

ALTER TABLE daily_site_usage ADD COLUMN time_zone VARCHAR(64) NULL;
