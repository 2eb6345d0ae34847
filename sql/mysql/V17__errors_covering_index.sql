-- A covering index for the errors report's ranking over long ranges
-- (`store::sql::bounded::stored_errors_top`): the groups are summed from the index alone, in key
-- order (no row with its two TEXT columns read, no temporary table keyed on the group), and the
-- text of each listed group is found by (group_key, last_seen) in one step. On bench k's year
-- (365 x 80 groups) the route read 45-58 ms p99 without it (three scans of the rows); see the
-- statement's comment for after. Expand only: nothing of the previous release reads it.
CREATE INDEX idx_errors_rank
    ON daily_site_errors (group_key, last_seen, date, site_id, runs, sessions);
