-- capture::binlog::forget_if_unused: `migrate --uncapture` of the last binlog-captured
-- table: drop the reader's checkpoint (the next `migrate --capture binlog` starts at
-- the server's position then). Index: PRIMARY. Locks: that row.
-- Parameters: the reader
DELETE FROM certyo_capture_binlog WHERE reader = ?
