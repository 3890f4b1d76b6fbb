-- capture::binlog::mariadb_gtid_pos: MariaDB: the GTID position (domain-server-seq per
-- domain) at a transaction boundary of the reader's checkpoint, to resume by GTID from
-- a checkpoint that has only file and position. NULL when the file is not in the
-- server's binary log any more. Reads that file up to the offset. No locks.
-- Parameters: the binlog file, the offset
-- Returns: gtid_pos; one row
SELECT CAST(BINLOG_GTID_POS(?, ?) AS CHAR) AS gtid_pos
