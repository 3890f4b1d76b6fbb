-- Two secondary indexes fewer on certyo_queue: every capture-trigger insert maintained
-- five, every completion three. The claim index (processed, available_at) serves what
-- the two served:
-- - a delivered row keeps its delivery time in available_at (queue_complete.sql), so
--   cleanup and status range over (processed = 1, available_at) instead of
--   certyo_queue_cleanup (processed, delivered_at);
-- - a dead letter is the only row with processed = 0 and available_at NULL
--   (queue_bury.sql), so dead-letter reads range over (0, NULL) instead of
--   certyo_queue_dead (dead_at).
-- Rows delivered before this version carry available_at NULL: given their delivery
-- time here (cleanup also still finds such rows by delivered_at, for a worker of an
-- older version that runs on until restarted). Safe to re-run up to the ALTER.
UPDATE certyo_queue SET available_at = delivered_at
WHERE processed = 1 AND available_at IS NULL AND delivered_at IS NOT NULL;
ALTER TABLE certyo_queue DROP INDEX certyo_queue_cleanup, DROP INDEX certyo_queue_dead;
