-- Mirrors the MySQL V13: the journey report's counts and time buckets per (day, site).

CREATE TABLE daily_site_journey (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    with_run INTEGER NOT NULL,
    with_success INTEGER NOT NULL,
    with_failure INTEGER NOT NULL,
    recovered INTEGER NOT NULL,
    failed_before_success INTEGER NOT NULL,
    succeeded_after_failure INTEGER NOT NULL,
    PRIMARY KEY (date, site_id)
);

CREATE TABLE daily_site_journey_times (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    measure TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    sessions INTEGER NOT NULL,
    PRIMARY KEY (date, site_id, measure, bucket)
);
