-- tasks::binlog::open: MariaDB, on the replication connection before it asks for the
-- log: this replica understands GTID events (capability 4, MARIA_SLAVE_CAPABILITY_GTID:
-- the server sends them as they are instead of as BEGIN), so the reader can follow the
-- GTID position. No locks.
-- Parameters: none
SET @mariadb_slave_capability = 4
