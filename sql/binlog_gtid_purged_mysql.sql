-- ops::binlog_status: MySQL with a GTID checkpoint: 1 when every GTID the server purged
-- is in the checkpoint's executed set (the reader can resume), 0 when the server purged
-- transactions the reader has not read yet. No locks.
-- Parameters: the checkpoint's executed GTID set
-- Returns: readable; one row
SELECT CAST(GTID_SUBSET(@@global.gtid_purged, ?) AS SIGNED) AS readable
