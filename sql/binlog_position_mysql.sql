-- capture::binlog::server_position: MySQL 8.2+: the server's current binary log file
-- and position (SHOW MASTER STATUS was removed in 8.4). Needs REPLICATION CLIENT. No
-- locks.
-- Parameters: none
-- Returns: File, Position, ..., Executed_Gtid_Set; one row
SHOW BINARY LOG STATUS
