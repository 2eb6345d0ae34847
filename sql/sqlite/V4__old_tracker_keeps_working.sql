-- Mirrors the MySQL V4, which restores the deployment's DEFAULT CURRENT_TIMESTAMP that V2's
-- MODIFYs dropped. SQLite's V2 changed no column types, so V1's columns are as they were and
-- there is nothing to restore: this version keeps both stores' histories version for version.

SELECT 1;
