-- capture::binlog::check_server: the server settings a binary-log reader depends on,
-- read by `migrate --capture binlog` and by the reader at start. binlog_row_metadata
-- exists on MySQL 8.0+ and MariaDB 10.5+; binlog_row_value_options (partial JSON
-- updates) is MySQL-only and read through binlog_settings_mysql.sql. No locks.
-- Parameters: none
-- Returns: log_bin, binlog_format, binlog_row_image, binlog_row_metadata, server_id,
-- version; one row
SELECT CAST(@@log_bin AS SIGNED) AS log_bin,
       CAST(@@binlog_format AS CHAR) AS binlog_format,
       CAST(@@binlog_row_image AS CHAR) AS binlog_row_image,
       CAST(@@binlog_row_metadata AS CHAR) AS binlog_row_metadata,
       CAST(@@server_id AS SIGNED) AS server_id,
       CAST(VERSION() AS CHAR) AS version
