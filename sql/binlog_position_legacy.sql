-- binlog capture, MariaDB and MySQL before 8.2: the server's current binary log file and
-- position. Needs REPLICATION CLIENT (BINLOG MONITOR on MariaDB 10.5+). No locks.
SHOW MASTER STATUS
