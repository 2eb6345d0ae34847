-- Local days (issue 25): the zone (IANA name) each all-sites summary row's day was rolled up in,
-- so that a change of `report_timezone` is seen and the kept days are re-rolled on their new
-- local days. A new nullable column only: the previous release's rollup leaves it NULL, which
-- reads as UTC, the only zone that release knows.

ALTER TABLE daily_usage_summary ADD COLUMN time_zone VARCHAR(64) NULL;
