-- capture::poll::checkpoint_reset: (re)start polling table ? from floor ? with high stamp
-- ?: a table switched from triggers to polling, whose earlier changes the triggers
-- captured. By primary key.
-- Parameters: the table name, the floor stamp, the high stamp.
INSERT INTO certyo_capture_poll (table_name, floor_stamp, high_stamp)
VALUES (?, ?, ?)
ON DUPLICATE KEY UPDATE floor_stamp = VALUES(floor_stamp), high_stamp = VALUES(high_stamp)
