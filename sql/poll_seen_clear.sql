-- capture::poll::forget: forget every version recorded for table ? (its polling is
-- switched off or restarted). Index: PRIMARY prefix (table_name).
-- Parameters: the table name.
DELETE FROM certyo_capture_poll_seen WHERE table_name = ?
