-- queue: lease the chosen rows {ids} (locked by this transaction) to this claim: owner
-- token, expiry (available_at = now + ? microseconds, so an expired lease makes the row
-- claimable again by itself) and one more attempt. By primary key. Step 3 of 3 of
-- queue::claim (rows locked by step 1), and the last step of queue::chain (rows locked
-- by queue_chain_lock.sql).
-- Parameters: the lease owner, the lease in microseconds, the ids ({ids}).
-- Placeholders: {ids} one bind marker per row leased.
UPDATE certyo_queue
SET lease_owner = ?,
    available_at = NOW(6) + INTERVAL ? MICROSECOND,
    attempts = attempts + 1
WHERE id IN ({ids})
