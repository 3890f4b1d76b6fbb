-- capture::binlog::replicas: MariaDB and MySQL before 8.0.22: the replicas registered
-- with this server, to tell whether another replica uses the binlog reader's server_id.
-- Needs REPLICATION MASTER ADMIN on MariaDB 10.5.2+ (REPLICATION SLAVE on MySQL). No
-- locks.
-- Parameters: none
-- Returns: Server_id, Host, Port, Master_id, ...; one row per replica
SHOW SLAVE HOSTS
