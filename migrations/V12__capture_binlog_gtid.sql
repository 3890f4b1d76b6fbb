-- Capture from the binary log: the reader's checkpoint as a GTID position beside file
-- and position. MySQL (gtid_mode = ON): the executed GTID set of everything the reader
-- has enqueued or passed, `uuid:1-57,uuid:tag:1-3` (resumed with COM_BINLOG_DUMP_GTID,
-- so the stream survives a failover to another server of the replication topology).
-- MariaDB: the GTID position, `domain-server-seq` per replication domain (resumed with
-- @slave_connect_state). NULL: not known (a checkpoint written by a reader before
-- this version, by `migrate`, or on MySQL with gtid_mode OFF): the reader resumes from
-- binlog_file/binlog_pos and fills it in. Written in the same transaction as
-- binlog_file/binlog_pos.
ALTER TABLE certyo_capture_binlog
  ADD COLUMN binlog_gtid TEXT CHARACTER SET ascii COLLATE ascii_bin NULL DEFAULT NULL
  AFTER binlog_pos;
