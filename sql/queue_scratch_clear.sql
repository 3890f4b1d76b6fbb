-- bench::capture_overhead: empty the scratch database's queue (after the single-row
-- insert sample, so the queue then holds exactly the --rows rows). Scratch database
-- only; a full scan.
-- Parameters: none
DELETE FROM certyo_queue
