-- queue::settled: after a complete that changed fewer rows than it named, which of rows
-- {ids} are now delivered, and with how many attempts. The worker compares attempts
-- with its own claim's: a row delivered with the attempts of this claim was completed
-- by it; one whose attempts grew was claimed again after this claim's lease expired
-- (its new holder delivers and counts it). Read only on that rare path.
-- Parameters: the ids.
-- Placeholders: {ids} one bind marker per id.
-- Returns: id, attempts, processed, one row per id still in the queue.
SELECT id, attempts, processed
FROM certyo_queue
WHERE id IN ({ids})
