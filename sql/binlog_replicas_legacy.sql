-- binlog capture, MariaDB and MySQL before 8.0.22: the replicas registered with this
-- server (Server_id, Host, Port, Master_id, …), to tell whether another replica uses the
-- binlog reader's server_id. Needs REPLICATION MASTER ADMIN on MariaDB 10.5.2+
-- (REPLICATION SLAVE on MySQL). No locks.
SHOW SLAVE HOSTS
