-- bench::guide::drain: (guide baseline) rows of the guide's table not yet processed.
-- Parameters: none
-- Returns: one row, one column: the count.
SELECT COUNT(*) FROM certyo_guide_queue WHERE processed = FALSE
