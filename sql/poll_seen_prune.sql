-- capture::poll::prune: forget versions of table ? stamped before the window's low end
-- (?): they are never read again (a row is read again only with a newer stamp, a new
-- version). At most ? rows per statement. Index: certyo_capture_poll_seen_prune
-- (table_name, stamp).
-- Parameters: the table name, the window's low end, the row limit.
DELETE FROM certyo_capture_poll_seen
WHERE table_name = ? AND stamp < ?
LIMIT ?
