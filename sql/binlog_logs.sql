-- capture::binlog::server_logs: the binary log files the server still has, with their
-- sizes (for the reader's lag in bytes, and to tell a purged checkpoint). Needs
-- REPLICATION CLIENT.
-- Parameters: none
-- Returns: Log_name, File_size, ...; one row per file
SHOW BINARY LOGS
