-- Mirrors the MySQL V17: a covering index for the errors report's ranking.
CREATE INDEX idx_errors_rank
    ON daily_site_errors (group_key, last_seen, date, site_id, runs, sessions);
