-- queue::claim, step 3 of 3: lease the chosen rows {ids} (locked by step 1) to this
-- claim: owner token, expiry (available_at = now + ? microseconds, so an expired lease
-- makes the row claimable again by itself) and one more attempt. By primary key.
UPDATE certyo_queue
SET lease_owner = ?,
    available_at = NOW(6) + INTERVAL ? MICROSECOND,
    attempts = attempts + 1
WHERE id IN ({ids})
