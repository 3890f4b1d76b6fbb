-- migrate::switch::switch_to_binlog: while a table's capture switches from triggers to
-- the binary log, hold writes to it (and to what the switch writes: the queue the
-- triggers fill, the registry entry and the reader's checkpoint), so every change is
-- either queued by a trigger before the lock or logged after the registry entry, which
-- the reader follows. Locks: table WRITE locks until UNLOCK TABLES, a few milliseconds.
-- Parameters: none
-- Placeholders: {table} the checked, backtick-quoted table.
LOCK TABLES {table} WRITE, certyo_queue WRITE, certyo_capture WRITE, certyo_capture_binlog WRITE
