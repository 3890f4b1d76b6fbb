-- bench::child: is any row still pending or leased (processed = 0 with an availability
-- time; dead rows have none)? One index probe on certyo_queue_claim, so polling it while
-- a drain runs costs the server next to nothing. No locks (plain read).
-- Parameters: none
-- Returns: id of one such row, or no row.
SELECT id FROM certyo_queue
WHERE processed = 0 AND available_at IS NOT NULL
LIMIT 1
