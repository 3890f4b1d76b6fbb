-- binlog capture, MariaDB, on the replication connection before it asks for the log:
-- resume by GTID from the position ? (domain-server-seq per domain; the server then
-- ignores the file and position of the dump request and starts after these GTIDs).
-- No locks.
SET @slave_connect_state = ?
