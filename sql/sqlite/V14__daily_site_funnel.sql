-- Mirrors the MySQL V14: sessions per (day, site, funnel step).

CREATE TABLE daily_site_funnel (
    date TEXT NOT NULL,
    site_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    step_name TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    PRIMARY KEY (date, site_id, step)
);

DELETE FROM rollup_state;
