-- capture registry: table ? is no longer captured (`migrate --uncapture`). By primary key.
DELETE FROM certyo_capture WHERE table_name = ?
