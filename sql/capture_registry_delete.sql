-- capture::registry::unregister: table ? is no longer captured (`migrate --uncapture`).
-- By primary key.
-- Parameters: the table name.
DELETE FROM certyo_capture WHERE table_name = ?
