-- What the old Python tracker needs to go on inserting beside this aggregator during a
-- switch-over: V2's MODIFYs dropped the DEFAULT CURRENT_TIMESTAMP of the deployment's
-- `start_time` and `timestamp` columns, so its inserts (which leave them out) failed and its rows
-- were silently lost. V2 is not edited (refinery checks applied migrations); this restores the
-- defaults, with millisecond precision, on every install (harmless where there were none).

ALTER TABLE ide_sessions MODIFY start_time DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3);
ALTER TABLE program_executions MODIFY timestamp DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3);
ALTER TABLE feature_usage MODIFY timestamp DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3);
