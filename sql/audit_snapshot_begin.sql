-- audit: begin the snapshot of the queue-side check (reads only; no locks taken).
START TRANSACTION WITH CONSISTENT SNAPSHOT
