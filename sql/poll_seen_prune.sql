-- poll: forget versions of table ? stamped before the window's low end (?): they are
-- never read again (a row is read again only with a newer stamp, a new version). At
-- most ? rows per statement. Index: certyo_capture_poll_seen_prune (table_name, stamp).
DELETE FROM certyo_capture_poll_seen
WHERE table_name = ? AND stamp < ?
LIMIT ?
