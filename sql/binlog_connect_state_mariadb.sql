-- tasks::binlog::open: MariaDB, on the replication connection before it asks for the
-- log: resume by GTID (the server then ignores the file and position of the dump
-- request and starts after these GTIDs). No locks.
-- Parameters: the GTID position (domain-server-seq per domain, comma-separated)
SET @slave_connect_state = ?
