-- capture::poll::checkpoint_start: start polling table ? from floor ? (nothing stamped
-- earlier is read), unless it is polled already (its checkpoint is kept). By primary
-- key.
-- Parameters: the table name, the floor stamp.
INSERT INTO certyo_capture_poll (table_name, floor_stamp, high_stamp)
VALUES (?, ?, NULL)
ON DUPLICATE KEY UPDATE table_name = table_name
