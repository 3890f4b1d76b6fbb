-- capture::poll::forget: table ? is no longer polled (`migrate --uncapture`, or switched
-- to triggers). By primary key.
-- Parameters: the table name.
DELETE FROM certyo_capture_poll WHERE table_name = ?
