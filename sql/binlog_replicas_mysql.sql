-- capture::binlog::replicas: MySQL 8.0.22+: the replicas registered with this server,
-- to tell whether another replica uses the binlog reader's server_id. Needs REPLICATION
-- SLAVE. No locks.
-- Parameters: none
-- Returns: Server_Id, Host, Port, Source_Id, Replica_UUID; one row per replica
SHOW REPLICAS
