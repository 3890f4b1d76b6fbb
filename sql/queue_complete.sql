-- queue::complete: mark rows {ids} delivered after Certyo's 202, in one statement, by
-- primary key, and only where this claim still holds the lease (lease_owner = ?). A row
-- whose lease expired and was claimed again belongs to its new holder and is left alone;
-- completing twice is a no-op. Locks only the rows named. Run by queue::complete and,
-- inside the write-back's transaction, queue::complete_in.
-- Parameters: the queue ids ({ids}), the lease owner.
-- Placeholders: {ids} one bind marker per queue id.
UPDATE certyo_queue
SET processed = 1,
    delivered_at = NOW(6),
    available_at = NOW(6),
    lease_owner = NULL,
    last_error = NULL
WHERE id IN ({ids}) AND lease_owner = ? AND processed = 0
