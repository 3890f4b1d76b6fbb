-- writeback: forget kept write-backs {ids} that landed, were superseded by a newer
-- version, or whose source row is gone. By primary key.
DELETE FROM certyo_writeback_due WHERE queue_id IN ({ids})
