-- db::connect: which server this session talks to (MariaDB reports e.g.
-- "10.11.19-MariaDB-0+deb12u1"). Also read by capture::introspect::engine and
-- capture::binlog.
-- Parameters: none
-- Returns: one row: VERSION().
SELECT VERSION()
