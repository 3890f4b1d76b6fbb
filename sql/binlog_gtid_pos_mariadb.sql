-- binlog capture, MariaDB: the GTID position (domain-server-seq per domain) at a binary
-- log file ? and offset ? (a transaction boundary of the reader's checkpoint), to resume
-- by GTID from a checkpoint that has only file and position. NULL when the file is not
-- in the server's binary log any more. Reads that file up to the offset. No locks.
SELECT CAST(BINLOG_GTID_POS(?, ?) AS CHAR) AS gtid_pos
