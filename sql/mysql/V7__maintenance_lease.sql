-- One rollup and retention at a time across replicas: a row claimed with an expiry. GET_LOCK would
-- be local to one node on a Galera cluster; a row is replicated and certified like any other, so
-- two nodes' claims of it cannot both commit (docs/scale-out.md).
CREATE TABLE maintenance_leases (
    name VARCHAR(32) NOT NULL PRIMARY KEY,
    holder CHAR(32) NOT NULL,
    expires_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
