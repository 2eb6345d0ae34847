-- Sessions the aggregator filtered out instead of storing (docs/reports.md, "Filtered traffic"):
-- per UTC day the session started, site and reason (`automation`: the client reported browser
-- automation; `crawler`: a User-Agent the parser calls a crawler). Each session counts once, on
-- its first batch (the one carrying its `start`). Written by the ingest's group commit, not by
-- the rollup, and kept like the other summaries' counts. Bounded: days x sites x two reasons.
CREATE TABLE daily_site_filtered (
    date DATE NOT NULL,
    site_id VARCHAR(64) NOT NULL,
    reason VARCHAR(16) NOT NULL,
    sessions BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (date, site_id, reason)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
