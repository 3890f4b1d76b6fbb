-- poll: table ? is no longer polled (`migrate --uncapture`, or switched to triggers).
-- By primary key.
DELETE FROM certyo_capture_poll WHERE table_name = ?
