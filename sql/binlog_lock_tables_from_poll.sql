-- migrate::switch::switch_to_binlog: while a polled table's capture switches to the
-- binary log, hold writes to it and to what the switch writes (the queue the last poll
-- fills, the poll bookkeeping it forgets, the registry entry and the reader's
-- checkpoint), so every change is either polled under the lock or logged after the
-- registry entry, which the reader follows. Locks: table WRITE locks until UNLOCK
-- TABLES, a few milliseconds (plus the last poll's rows).
-- Parameters: none
-- Placeholders: {table} the checked, backtick-quoted table.
LOCK TABLES {table} WRITE, certyo_queue WRITE, certyo_capture WRITE, certyo_capture_binlog WRITE, certyo_capture_poll WRITE, certyo_capture_poll_seen WRITE
