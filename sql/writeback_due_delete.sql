-- writeback::write_back_on: forget kept write-backs {ids} that landed, were superseded
-- by a newer version, or whose source row is gone. By primary key.
-- Parameters: the queue ids ({ids}).
-- Placeholders: {ids} one bind marker per queue id.
DELETE FROM certyo_writeback_due WHERE queue_id IN ({ids})
