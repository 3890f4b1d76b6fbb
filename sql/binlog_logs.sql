-- binlog capture: the binary log files the server still has, with their sizes (for the
-- reader's lag in bytes, and to tell a purged checkpoint). Needs REPLICATION CLIENT.
SHOW BINARY LOGS
