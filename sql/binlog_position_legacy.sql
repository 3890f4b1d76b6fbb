-- capture::binlog::server_position: MariaDB and MySQL before 8.2: the server's current
-- binary log file and position. Needs REPLICATION CLIENT (BINLOG MONITOR on MariaDB
-- 10.5+). No locks.
-- Parameters: none
-- Returns: File, Position, ... (Executed_Gtid_Set on MySQL); one row
SHOW MASTER STATUS
