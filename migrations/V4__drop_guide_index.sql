-- The guide's idx_unprocessed (processed, created_at) serves no query of ours (claims
-- use certyo_queue_claim, cleanup certyo_queue_cleanup), yet every capture-trigger
-- insert and every delivery had to maintain it. Dropping it makes both cheaper.
ALTER TABLE certyo_queue DROP INDEX idx_unprocessed;
