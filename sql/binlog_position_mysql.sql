-- binlog capture, MySQL 8.2+: the server's current binary log file and position
-- (SHOW MASTER STATUS was removed in 8.4). Needs REPLICATION CLIENT. No locks.
SHOW BINARY LOG STATUS
