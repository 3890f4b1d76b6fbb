-- binlog capture, MySQL 8.0.22+: the replicas registered with this server (Server_Id,
-- Host, Port, Source_Id, Replica_UUID), to tell whether another replica uses the
-- binlog reader's server_id. Needs REPLICATION SLAVE. No locks.
SHOW REPLICAS
