//! Capture from the binary log (`migrate --capture binlog`, the `binlog` reader): the
//! same payloads and record ids as the triggers for the same statements, rolled-back
//! transactions never queued, write-back not captured again, a reader that dies
//! mid-batch resumed by another with nothing lost and nothing doubled, and the
//! refusals. MySQL: the suite's server (binary logging on; the test turns on
//! binlog_row_metadata = FULL, a dynamic global). MariaDB: a throwaway server started
//! with --log-bin --binlog-format=ROW (the shared one has no binary log).
mod common;

use std::time::{Duration, Instant};

use certyo_queue::capture::registry::Source;
use certyo_queue::config::DbConfig;
use certyo_queue::migrate::{self, MigratePlan};
use certyo_queue::tasks::{BinlogConfig, BinlogReader};
use common::throwaway_mariadb::{Options, ThrowawayMariaDb};
use common::Engine;
use sqlx::mysql::MySqlPool;
use sqlx::Row;
use tokio_util::sync::CancellationToken;

/// A fresh database on a server with a ROW binary log.
struct BinlogDb {
    engine: Engine,
    url: String,
    pool: MySqlPool,
    _server: Option<ThrowawayMariaDb>,
}

impl BinlogDb {
    async fn new() -> BinlogDb {
        let engine = common::run_engine().await;
        let (server, base) = match engine {
            Engine::MySql => (None, common::server_url()),
            Engine::MariaDb => {
                let s = ThrowawayMariaDb::start(Options {
                    extra_args: vec![
                        "--log-bin=binlog".into(),
                        "--binlog-format=ROW".into(),
                        "--server-id=1".into(),
                    ],
                    ..Options::default()
                });
                let url = s.url("", "");
                (Some(s), url)
            }
        };
        let name = format!(
            "cq_bl{}_{}",
            std::process::id(),
            fastrand::u32(..) % 1_000_000
        );
        let admin = certyo_queue::db::connect(
            &DbConfig::parse(&format!("{}/mysql", base.trim_end_matches('/'))).expect("url"),
            2,
        )
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test server ({base}): {e}; start it with `bash scripts/ensure-mysql.sh` / `bash scripts/ensure-mariadb.sh`"));
        if engine == Engine::MySql {
            // The reader needs column names in table maps (a dynamic global setting).
            sqlx::query("SET GLOBAL binlog_row_metadata = 'FULL'")
                .execute(&admin)
                .await
                .expect("SET GLOBAL binlog_row_metadata");
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
            .execute(&admin)
            .await
            .expect("CREATE DATABASE");
        admin.close().await;
        let url = format!("{}/{name}", base.trim_end_matches('/'));
        let pool = certyo_queue::db::connect(&DbConfig::parse(&url).expect("url"), 8)
            .await
            .expect("connect to the test database");
        BinlogDb {
            engine,
            url,
            pool,
            _server: server,
        }
    }

    async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn reader(&self, run_for: Duration) -> BinlogReader {
        BinlogReader::new(
            self.pool.clone(),
            DbConfig::parse(&self.url).expect("url"),
            BinlogConfig {
                run_for,
                ..BinlogConfig::default()
            },
        )
        .expect("reader settings")
    }

    /// (op, record_id, payload) of `table`'s queue rows in queue order.
    async fn queued(&self, table: &str) -> Vec<(String, String, String)> {
        sqlx::query(
            "SELECT CAST(op_type AS CHAR), CAST(record_id AS CHAR), CAST(payload AS CHAR) \
             FROM certyo_queue WHERE table_name = ? ORDER BY id",
        )
        .bind(table)
        .fetch_all(&self.pool)
        .await
        .expect("read the queue")
        .iter()
        .map(|r| {
            (
                r.get::<String, _>(0),
                r.get::<String, _>(1),
                r.get::<String, _>(2),
            )
        })
        .collect()
    }

    async fn finish(self) {
        let name = self.url.rsplit('/').next().unwrap_or_default().to_string();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS `{name}`"
        )))
        .execute(&self.pool)
        .await;
        self.pool.close().await;
    }
}

fn plan(tables: &[&str], source: Source) -> MigratePlan {
    MigratePlan {
        tables: tables.iter().map(|t| t.to_string()).collect(),
        capture: Some(source),
        ..MigratePlan::default()
    }
}

/// The checkpoint's GTID position (None: file and position only).
async fn checkpoint_gtid(pool: &MySqlPool) -> Option<String> {
    sqlx::query_scalar::<_, Option<String>>(
        "SELECT CAST(binlog_gtid AS CHAR) FROM certyo_capture_binlog WHERE reader = 'main'",
    )
    .fetch_one(pool)
    .await
    .expect("read the checkpoint")
}

/// (inserts, updates, distinct inserted ids) of `table`'s queue rows.
async fn counts(db: &BinlogDb, table: &str) -> (usize, usize, usize) {
    let rows = db.queued(table).await;
    let mut ids: Vec<&str> = rows
        .iter()
        .filter(|r| r.0 == "insert")
        .map(|r| r.1.as_str())
        .collect();
    let inserts = ids.len();
    ids.sort();
    ids.dedup();
    let updates = rows.iter().filter(|r| r.0 == "update").count();
    (inserts, updates, ids.len())
}

/// Read until `table` has `n` queue rows (or 20 s), then one more run (nothing more
/// may come).
async fn read_until(db: &BinlogDb, reader: &BinlogReader, table: &str, n: usize) {
    let stop = CancellationToken::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while db.queued(table).await.len() < n {
        assert!(
            Instant::now() < deadline,
            "binlog reader: {table} has {} queue rows, want {n}",
            db.queued(table).await.len()
        );
        reader.run_once(&stop).await.expect("binlog reader run");
    }
    reader.run_once(&stop).await.expect("binlog reader run");
}

/// Every column type the binlog renderer supports on both engines (and, on MySQL,
/// FLOAT, DOUBLE and JSON), with a tracking-only and an ON UPDATE column.
fn types_table(name: &str, engine: Engine) -> String {
    let mysql_only = match engine {
        Engine::MySql => "fl FLOAT NULL, db DOUBLE NULL, js JSON NULL,",
        Engine::MariaDb => "",
    };
    format!(
        "CREATE TABLE {name} (
        id INT PRIMARY KEY,
        ti TINYINT NULL, tiu TINYINT UNSIGNED NULL, si SMALLINT NULL, mi MEDIUMINT NULL,
        mu MEDIUMINT UNSIGNED NULL, i INT NULL, iu INT UNSIGNED NULL, bi BIGINT NULL,
        bu BIGINT UNSIGNED NULL, dec65 DECIMAL(65,30) NULL, d2 DECIMAL(10,2) NULL,
        {mysql_only}
        dt DATE NULL, tm TIME(3) NULL, dtm DATETIME NULL, dtm6 DATETIME(6) NULL,
        ts TIMESTAMP NULL DEFAULT NULL, ts3 TIMESTAMP(3) NULL DEFAULT NULL, yr YEAR NULL,
        b1 BIT(1) NULL, b64 BIT(64) NULL, en ENUM('a','b','ç') NULL, st SET('x','y','z') NULL,
        ch CHAR(5) NULL, vc VARCHAR(100) NULL, tx TEXT NULL,
        lat VARCHAR(20) CHARACTER SET latin1 NULL,
        bn BINARY(4) NULL, vb VARBINARY(10) NULL, bl BLOB NULL,
        changed TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    )
}

/// The same statements on a table: multi-row insert, update, ON DUPLICATE KEY UPDATE,
/// a rolled-back transaction, a primary-key change, a delete.
fn workload(t: &str, engine: Engine) -> Vec<String> {
    let (cols, v_max, v_min) = match engine {
        Engine::MySql => (
            "fl, db, js, ",
            "0.1, 1.7976931348623157e308, '{\"b\": 1, \"a\": [1.50, \"x\", null]}', ",
            "-3.4028234e38, 16777216, '[]', ",
        ),
        Engine::MariaDb => ("", "", ""),
    };
    vec![
        format!("INSERT INTO {t} (id) VALUES (1)"),
        format!(
            "INSERT INTO {t} (id, ti, tiu, si, mi, mu, i, iu, bi, bu, dec65, d2, {cols}dt, tm, dtm, dtm6, ts, ts3, yr, b1, b64, en, st, ch, vc, tx, lat, bn, vb, bl) VALUES \
            (2, 127, 255, 32767, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615, \
             99999999999999999999999999999999999.999999999999999999999999999999, 12.50, {v_max}\
             '9999-12-31', '838:59:59.000', '9999-12-31 23:59:59', '2026-01-02 03:04:05.123456', \
             '2038-01-19 03:14:07', '2026-03-01 10:00:00.500', 2155, b'1', \
             b'1111111111111111111111111111111111111111111111111111111111111111', \
             CONVERT(X'C3A7' USING utf8mb4), 'x,z', 'abc', CONCAT(CONVERT(X'F09F9880' USING utf8mb4), ' smile'), \
             CONCAT('line1', CHAR(10), 'say ', CHAR(34), 'hi', CHAR(34), ' ', CHAR(92), ' done', CHAR(1)), \
             CONVERT(X'436166E980' USING latin1), X'00FF10', X'FF', X'89504E470D0A1A0A'), \
            (3, -128, 0, -32768, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, -1.5, -0.01, {v_min}\
             '1000-01-01', '-838:59:58.999', '1000-01-01 00:00:00', '1000-01-01 00:00:00.000001', \
             '1970-01-01 00:00:01', '2026-06-15 12:00:00.001', 1901, b'0', b'0', 'a', '', '', 'x', '', '', \
             X'FFFFFFFF', X'00', X'')"
        ),
        format!("UPDATE {t} SET vc = 'changed', d2 = 0.10 WHERE id = 2"),
        format!("UPDATE {t} SET vc = 'CHANGED' WHERE id = 2"),
        format!(
            "INSERT INTO {t} (id, vc) VALUES (3, 'dup'), (4, 'new') ON DUPLICATE KEY UPDATE vc = VALUES(vc)"
        ),
        // A no-op update changes no business column: nothing queued.
        format!("UPDATE {t} SET vc = vc WHERE id = 4"),
        "BEGIN".into(),
        format!("INSERT INTO {t} (id, vc) VALUES (99, 'rolled back')"),
        format!("UPDATE {t} SET vc = 'rolled back' WHERE id = 1"),
        "ROLLBACK".into(),
        format!("UPDATE {t} SET id = 5 WHERE id = 4"),
        format!("DELETE FROM {t} WHERE id IN (1, 3)"),
    ]
}

async fn run_workload(db: &BinlogDb, t: &str) {
    let mut conn = db.pool.acquire().await.expect("connection");
    // The writer's session must not matter: another time zone and sql_mode.
    sqlx::raw_sql("SET time_zone = '+05:00', sql_mode = '', timestamp = 1767225600.25")
        .execute(&mut *conn)
        .await
        .expect("session settings");
    for sql in workload(t, db.engine) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binlog_payloads_and_record_ids_equal_the_triggers() {
    let db = BinlogDb::new().await;
    db.exec(&types_table("by_trigger", db.engine)).await;
    db.exec(&types_table("by_binlog", db.engine)).await;
    migrate::run(&db.pool, &plan(&["by_trigger"], Source::Trigger))
        .await
        .expect("migrate --capture trigger");
    migrate::run(&db.pool, &plan(&["by_binlog"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    run_workload(&db, "by_trigger").await;
    run_workload(&db, "by_binlog").await;
    let want = db.queued("by_trigger").await;
    assert_eq!(
        want.iter().map(|w| w.0.as_str()).collect::<Vec<_>>(),
        [
            "insert", "insert", "insert", "update", "update", "update", "insert", "delete",
            "insert", "delete", "delete"
        ],
        "the triggers' own queue rows"
    );
    let reader = db.reader(Duration::from_millis(300));
    read_until(&db, &reader, "by_binlog", want.len()).await;
    let got = db.queued("by_binlog").await;
    assert_eq!(got.len(), want.len(), "binlog queue rows: {got:#?}");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.0, w.0, "row {i}: operation");
        assert_eq!(g.1, w.1, "row {i}: record_id");
        // MariaDB keeps the payload text as written (it must be identical); MySQL
        // normalises its JSON column, so what reads back is compared.
        assert_eq!(g.2, w.2, "row {i} ({} {}): payload", w.0, w.1);
    }
    // Write-back and verification touch only tracking columns (and move the ON UPDATE
    // column): not captured again.
    db.exec("UPDATE by_binlog SET certyo_record_hash = 'abc', certyo_anchor_status = 'Pending'")
        .await;
    db.exec("UPDATE by_binlog SET certyo_anchor_status = 'Anchored'")
        .await;
    reader
        .run_once(&CancellationToken::new())
        .await
        .expect("reader run");
    reader
        .run_once(&CancellationToken::new())
        .await
        .expect("reader run");
    assert_eq!(
        db.queued("by_binlog").await.len(),
        want.len(),
        "write-back was captured again"
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_lost_mid_batch_is_resumed_without_loss_or_double() {
    let db = BinlogDb::new().await;
    db.exec("CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL)")
        .await;
    migrate::run(&db.pool, &plan(&["items"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    for i in 0..300 {
        db.exec(&format!("INSERT INTO items (id, qty) VALUES ({i}, {i})"))
            .await;
    }
    // Reader A reads part of the log and is dropped (its stream and unwritten batch
    // die with it, like a kill -9 of the leader); B takes over from the checkpoint.
    {
        let a = db.reader(Duration::from_millis(50));
        let _ = a.run_once(&CancellationToken::new()).await;
    }
    // Two readers at once (a leader that lost its lock keeps going for a while): the
    // checkpoint fences one of them off; together they enqueue each change once.
    // (Runs of 1 s: each reader's reconnection ends the other's stream (one server_id),
    // and a MySQL server resuming by GTID reads the binary log file from its start
    // before it sends the first event, which takes a while on the suite's large log.)
    let b = db.reader(Duration::from_secs(1));
    let c = db.reader(Duration::from_secs(1));
    db.exec("UPDATE items SET qty = qty + 1").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while db.queued("items").await.len() < 600 && Instant::now() < deadline {
        let stop = CancellationToken::new();
        let (rb, rc) = tokio::join!(b.run_once(&stop), c.run_once(&stop));
        for r in [rb, rc] {
            if let Err(e) = r {
                eprintln!("reader: {e}");
            }
        }
    }
    let _ = b.run_once(&CancellationToken::new()).await;
    let rows = db.queued("items").await;
    let inserts = rows.iter().filter(|r| r.0 == "insert").count();
    let updates = rows.iter().filter(|r| r.0 == "update").count();
    assert_eq!((inserts, updates), (300, 300), "each change exactly once");
    let mut ids: Vec<&str> = rows
        .iter()
        .filter(|r| r.0 == "insert")
        .map(|r| r.1.as_str())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 300, "no record inserted twice");
    // `status` shows the table's source and the reader's position and lag.
    let out = common::process::run(
        common::process::command(&["status", "--database-url", &db.url]),
        Duration::from_secs(60),
    );
    assert!(
        out.stdout.contains("binlog reader: checkpoint") && out.stdout.contains("binlog"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_refuses_what_binlog_capture_cannot_do() {
    let db = BinlogDb::new().await;
    db.exec("CREATE TABLE shapes (id INT PRIMARY KEY, g GEOMETRY NULL)")
        .await;
    let err = migrate::run(&db.pool, &plan(&["shapes"], Source::Binlog))
        .await
        .expect_err("a GEOMETRY column is refused")
        .to_string();
    assert!(
        err.contains("`g`") && err.contains("--capture trigger"),
        "{err}"
    );
    // A user without REPLICATION SLAVE.
    let user = format!("cqbl{}", fastrand::u32(..) % 1_000_000);
    let name = db.url.rsplit('/').next().unwrap_or_default().to_string();
    db.exec(&format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'"))
        .await;
    db.exec(&format!("GRANT ALL ON `{name}`.* TO '{user}'@'%'"))
        .await;
    db.exec(&format!("GRANT REPLICATION CLIENT ON *.* TO '{user}'@'%'"))
        .await;
    db.exec("CREATE TABLE plain (id INT PRIMARY KEY)").await;
    let url = db.url.replacen("root@", &format!("{user}:pw@"), 1);
    let out = common::process::run(
        common::process::command(&[
            "migrate",
            "--database-url",
            &url,
            "--table",
            "plain",
            "--capture",
            "binlog",
        ]),
        Duration::from_secs(60),
    );
    assert_ne!(out.code, 0, "refused: {}", out.stderr);
    assert!(
        out.stderr.contains("REPLICATION SLAVE") && out.stderr.contains("GRANT"),
        "{}",
        out.stderr
    );
    db.exec(&format!("DROP USER '{user}'@'%'")).await;
    db.finish().await;
}

/// The shared MariaDB (no binary log) is refused with the fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_binary_logging_is_refused() {
    if common::run_engine().await != Engine::MariaDb {
        // MySQL 9.7 logs by default; this case is the MariaDB default.
        return;
    }
    let db = common::TestDb::new().await;
    db.exec("CREATE TABLE items (id INT PRIMARY KEY)").await;
    let err = migrate::run(&db.pool, &plan(&["items"], Source::Binlog))
        .await
        .expect_err("no log_bin")
        .to_string();
    assert!(
        err.contains("log_bin") && err.contains("--log-bin"),
        "{err}"
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_binlog_leader_mid_stream_is_taken_over_without_loss_or_double() {
    use certyo_queue::emulator::{self, EmulatorConfig};
    use common::process::Worker;
    let db = BinlogDb::new().await;
    db.exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, qty INT NOT NULL)")
        .await;
    migrate::run(&db.pool, &plan(&["items"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    let emu = emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    let args = ["--leader-check-interval", "1s"];
    let mut a = Worker::spawn_with_scheduled("binlog-a", &db.url, &emu.url(), &args);
    let mut b = Worker::spawn_with_scheduled("binlog-b", &db.url, &emu.url(), &args);
    let leads = |w: &Worker| {
        w.stderr()
            .lines()
            .any(|l| l.contains("leader.elected") && l.contains("certyo_queue.binlog."))
    };
    let mut next = 0i64;
    let mut killed = false;
    while next < 3000 {
        let values: Vec<String> = (next..next + 50)
            .map(|i| format!("({i}, 'k', {i})"))
            .collect();
        db.exec(&format!(
            "INSERT INTO items (id, name, qty) VALUES {}",
            values.join(",")
        ))
        .await;
        next += 50;
        if !killed && next >= 1000 {
            common::wait_until(Duration::from_secs(30), "a binlog leader", || async {
                leads(&a) || leads(&b)
            })
            .await;
            // The leader has upgraded migrate's file-and-position checkpoint to a GTID
            // position (MySQL 9.7: gtid_mode ON by default; MariaDB: always): the
            // survivor resumes by GTID.
            common::wait_until(Duration::from_secs(30), "a GTID checkpoint", || async {
                checkpoint_gtid(&db.pool).await.is_some()
            })
            .await;
            if leads(&a) {
                a.kill9();
            } else {
                b.kill9();
            }
            killed = true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let survivor = if a.is_running() { &mut a } else { &mut b };
    let deadline = Instant::now() + Duration::from_secs(90);
    while emu.inspect().records.len() < 3000 {
        assert!(
            Instant::now() < deadline,
            "{} of 3000 records reached the API; survivor's log:\n{}",
            emu.inspect().records.len(),
            survivor.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let write-backs land: they must not be captured again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    survivor.assert_running();
    assert!(leads(survivor), "the survivor took the binlog reader over");
    let rows = db.queued("items").await;
    assert_eq!(
        rows.len(),
        3000,
        "each insert queued exactly once (write-back not captured)"
    );
    let mut ids: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3000, "no record queued twice");
    assert!(
        survivor
            .stderr()
            .lines()
            .any(|l| l.contains("binlog.start") && l.contains("GTID")),
        "the survivor resumed by GTID:\n{}",
        survivor.stderr()
    );
    assert!(checkpoint_gtid(&db.pool).await.is_some());
    survivor.term();
    let _ = survivor.wait_exit(Duration::from_secs(20)).await;
    emu.stop().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alter_table_is_followed_and_a_lost_connection_is_resumed() {
    let db = BinlogDb::new().await;
    db.exec("CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL)")
        .await;
    migrate::run(&db.pool, &plan(&["items"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    let reader = db.reader(Duration::from_millis(200));
    db.exec("INSERT INTO items (id, qty) VALUES (1, 1)").await;
    read_until(&db, &reader, "items", 1).await;
    // ADD COLUMN while the reader is caught up: followed without a restart.
    db.exec("ALTER TABLE items ADD COLUMN note VARCHAR(10) NULL")
        .await;
    db.exec("INSERT INTO items (id, qty, note) VALUES (2, 2, 'x')")
        .await;
    read_until(&db, &reader, "items", 2).await;
    let rows = db.queued("items").await;
    let payload: serde_json::Value = serde_json::from_str(&rows[1].2).expect("payload JSON");
    assert_eq!(payload["note"], "x", "{payload}");
    // The replication connection is killed (network loss, server-side KILL): the next
    // run reconnects from the checkpoint.
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
    )
    .fetch_all(&db.pool)
    .await
    .expect("processlist");
    assert!(!ids.is_empty(), "a binlog dump thread is connected");
    for id in ids {
        db.exec(&format!("KILL {id}")).await;
    }
    db.exec("UPDATE items SET qty = 3 WHERE id = 1").await;
    let stop = CancellationToken::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while db.queued("items").await.len() < 3 {
        assert!(
            Instant::now() < deadline,
            "not resumed after the connection was killed"
        );
        let _ = reader.run_once(&stop).await;
    }
    // DROP COLUMN with the reader behind it, and the table's old shape not known to it
    // (a reader started after the ALTER, e.g. after a takeover; a reader that still has
    // the old shape in hand decodes the old events with it): the old events do not fit
    // the new shape, so the reader stops with an error naming the table, enqueueing
    // nothing from them.
    drop(reader);
    db.exec("INSERT INTO items (id, qty, note) VALUES (4, 4, 'y')")
        .await;
    db.exec("ALTER TABLE items DROP COLUMN note").await;
    let reader = db.reader(Duration::from_millis(200));
    let mut err = None;
    // (Time, not a count of runs: resuming by GTID, a MySQL server reads the binary log
    // file from its start before the first event, seconds on the suite's busy log.)
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Err(e) = reader.run_once(&stop).await {
            err = Some(e.to_string());
            break;
        }
    }
    let now = db.queued("items").await;
    let err = err.unwrap_or_else(|| {
        panic!("the reader stops at events older than the ALTER; queue: {now:#?}")
    });
    assert!(
        err.contains("`items`") && err.contains("ALTER TABLE"),
        "{err}"
    );
    assert_eq!(
        now.len(),
        3,
        "nothing enqueued from the old shape: {now:#?}"
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_is_survived_from_the_checkpoint() {
    let mut server = common::process::ThrowawayServer::start_with(
        &["--log-bin=binlog", "--binlog-format=ROW", "--server-id=1"],
        &["--binlog-row-metadata=FULL"],
    )
    .await;
    let url = server.url();
    let cfg = DbConfig::parse(&url).expect("url");
    let pool = certyo_queue::db::connect(&cfg, 4).await.expect("connect");
    {
        let mut conn = pool.acquire().await.expect("connection");
        certyo_queue::schema::apply(&mut conn)
            .await
            .expect("schema");
    }
    let db = BinlogDb {
        engine: common::run_engine().await,
        url: url.clone(),
        pool,
        _server: None,
    };
    db.exec("CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL)")
        .await;
    migrate::run(&db.pool, &plan(&["items"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    let reader = db.reader(Duration::from_millis(200));
    for i in 0..10 {
        db.exec(&format!("INSERT INTO items (id, qty) VALUES ({i}, {i})"))
            .await;
    }
    read_until(&db, &reader, "items", 10).await;
    // A crash of the server (SIGKILL; InnoDB recovers, the binary log goes on in a new
    // file) while the reader streams.
    server.kill9();
    let _ = reader.run_once(&CancellationToken::new()).await;
    server.restart().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match sqlx::query("SELECT 1").execute(&db.pool).await {
            Ok(_) => break,
            Err(e) => assert!(Instant::now() < deadline, "server back: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for i in 10..20 {
        db.exec(&format!("INSERT INTO items (id, qty) VALUES ({i}, {i})"))
            .await;
    }
    let stop = CancellationToken::new();
    while db.queued("items").await.len() < 20 {
        assert!(
            Instant::now() < deadline,
            "not resumed after the restart: {} rows; last error: {:?}",
            db.queued("items").await.len(),
            reader.run_once(&stop).await.err().map(|e| e.to_string())
        );
        let _ = reader.run_once(&stop).await;
    }
    let _ = reader.run_once(&stop).await;
    let rows = db.queued("items").await;
    assert_eq!(rows.len(), 20, "nothing lost, nothing doubled");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_of_a_binlog_table_queues_history_and_the_stream_goes_on() {
    use certyo_queue::ops::backfill::{self, BackfillConfig};
    let db = BinlogDb::new().await;
    db.exec("CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL)")
        .await;
    db.exec("INSERT INTO items (id, qty) VALUES (1, 1), (2, 2), (3, 3)")
        .await;
    migrate::run(&db.pool, &plan(&["items"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    let reader = db.reader(Duration::from_millis(200));
    // History from before the capture started is backfill's, not the reader's.
    reader
        .run_once(&CancellationToken::new())
        .await
        .expect("reader run");
    assert!(
        db.queued("items").await.is_empty(),
        "history is not read from the log"
    );
    let name = db.url.rsplit('/').next().unwrap_or_default().to_string();
    let report = backfill::run(
        &db.pool,
        &name,
        "items",
        &BackfillConfig::default(),
        &CancellationToken::new(),
        &mut |_| {},
    )
    .await
    .expect("backfill of a binlog-captured table");
    assert_eq!(report.enqueued_now, 3, "{report:?}");
    db.exec("INSERT INTO items (id, qty) VALUES (4, 4)").await;
    db.exec("UPDATE items SET qty = 10 WHERE id = 1").await;
    read_until(&db, &reader, "items", 5).await;
    let ops: Vec<(String, String)> = db
        .queued("items")
        .await
        .into_iter()
        .map(|(op, id, _)| (op, id))
        .collect();
    let want: Vec<(String, String)> = [
        ("upsert", "1"),
        ("upsert", "2"),
        ("upsert", "3"),
        ("insert", "4"),
        ("update", "1"),
    ]
    .iter()
    .map(|(o, i)| (o.to_string(), i.to_string()))
    .collect();
    assert_eq!(ops, want);
    // REPLACE of an existing row and of a new one: the server logs the first as an
    // update in place or as delete + insert; either way the record's last event carries
    // the new row, and the new record is an insert.
    db.exec("REPLACE INTO items (id, qty) VALUES (1, 100), (9, 9)")
        .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let stop = CancellationToken::new();
    loop {
        let rows = db.queued("items").await;
        let last_1 = rows.iter().rev().find(|r| r.1 == "1").cloned();
        let nine = rows.iter().find(|r| r.1 == "9").cloned();
        if let (Some(last_1), Some(nine)) = (last_1, nine) {
            let p: serde_json::Value = serde_json::from_str(&last_1.2).expect("payload JSON");
            assert_eq!(p["qty"], 100, "{rows:#?}");
            assert!(last_1.0 == "update" || last_1.0 == "insert", "{rows:#?}");
            assert_eq!(nine.0, "insert", "{rows:#?}");
            break;
        }
        assert!(Instant::now() < deadline, "REPLACE not captured: {rows:#?}");
        reader.run_once(&stop).await.expect("reader run");
    }
    db.finish().await;
}

/// Each missing server setting and privilege is refused by `migrate --capture binlog`
/// with the fix in the message (one throwaway server, its globals changed in turn).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_missing_setting_and_privilege_is_refused_with_the_fix() {
    let server = common::process::ThrowawayServer::start_with(
        &["--log-bin=binlog", "--binlog-format=ROW", "--server-id=1"],
        &["--binlog-row-metadata=FULL"],
    )
    .await;
    let engine = common::run_engine().await;
    let url = server.url();
    let admin = certyo_queue::db::connect(&DbConfig::parse(&url).expect("url"), 1)
        .await
        .expect("connect");
    let exec = |sql: String| {
        let admin = admin.clone();
        async move {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&admin)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    };
    exec("CREATE TABLE items (id INT PRIMARY KEY)".into()).await;
    // A fresh pool per attempt: a session reads the globals when it connects.
    let refusal = |url: String| async move {
        let pool = certyo_queue::db::connect(&DbConfig::parse(&url).expect("url"), 1)
            .await
            .expect("connect");
        let r = migrate::run(&pool, &plan(&["items"], Source::Binlog)).await;
        pool.close().await;
        r.err().map(|e| e.to_string())
    };
    let mut cases: Vec<(&str, &str, &str)> = vec![
        (
            "SET GLOBAL binlog_format = 'STATEMENT'",
            "SET GLOBAL binlog_format = 'ROW'",
            "binlog_format = 'ROW'",
        ),
        (
            "SET GLOBAL binlog_row_image = 'MINIMAL'",
            "SET GLOBAL binlog_row_image = 'FULL'",
            "binlog_row_image = 'FULL'",
        ),
    ];
    if engine == Engine::MySql {
        cases.push((
            "SET GLOBAL binlog_row_metadata = 'MINIMAL'",
            "SET GLOBAL binlog_row_metadata = 'FULL'",
            "binlog_row_metadata = 'FULL'",
        ));
    }
    for (break_it, fix, says) in cases {
        exec(break_it.into()).await;
        let err = refusal(url.clone())
            .await
            .unwrap_or_else(|| panic!("{break_it}: not refused"));
        assert!(err.contains(says), "{break_it}: {err}");
        exec(fix.into()).await;
    }
    // Privileges: one user without REPLICATION SLAVE, one without REPLICATION CLIENT.
    let client_privilege = match engine {
        Engine::MySql => "REPLICATION CLIENT",
        Engine::MariaDb => "BINLOG MONITOR",
    };
    for (user, grant, says) in [
        ("no_slave", client_privilege, "REPLICATION SLAVE"),
        ("no_client", "REPLICATION SLAVE", "REPLICATION CLIENT"),
    ] {
        exec(format!(
            "CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY 'pw'"
        ))
        .await;
        exec(format!("GRANT ALL ON `shop`.* TO '{user}'@'127.0.0.1'")).await;
        exec(format!("GRANT {grant} ON *.* TO '{user}'@'127.0.0.1'")).await;
        let err = refusal(url.replacen("cq:cq@", &format!("{user}:pw@"), 1))
            .await
            .unwrap_or_else(|| panic!("{user}: not refused"));
        assert!(err.contains(says) && err.contains("GRANT"), "{user}: {err}");
    }
    // Everything in place: accepted.
    assert_eq!(refusal(url.clone()).await, None);
    admin.close().await;
    drop(server);
}

/// A checkpoint with file and position only (what `migrate` and readers before V12
/// write) is upgraded to a GTID position by the reader that takes over, with nothing lost
/// or doubled; resuming by GTID does not depend on file names (a failover to another
/// server), so a checkpoint whose file and position are another server's still resumes
/// exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_and_position_checkpoint_is_upgraded_to_gtid_and_resumed_by_it() {
    let db = BinlogDb::new().await;
    db.exec("CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL)")
        .await;
    migrate::run(&db.pool, &plan(&["items"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    assert!(
        checkpoint_gtid(&db.pool).await.is_some(),
        "migrate records the GTID position beside file and position"
    );
    for i in 0..50 {
        db.exec(&format!("INSERT INTO items (id, qty) VALUES ({i}, {i})"))
            .await;
    }
    {
        let a = db.reader(Duration::from_millis(200));
        read_until(&db, &a, "items", 50).await;
    }
    assert!(checkpoint_gtid(&db.pool).await.is_some(), "upgraded");
    // The previous version's checkpoint: file and position only.
    db.exec("UPDATE certyo_capture_binlog SET binlog_gtid = NULL")
        .await;
    for i in 50..100 {
        db.exec(&format!("INSERT INTO items (id, qty) VALUES ({i}, {i})"))
            .await;
    }
    let executed_before: Option<String> = match db.engine {
        Engine::MySql => Some(
            sqlx::query_scalar("SELECT CAST(@@global.gtid_executed AS CHAR)")
                .fetch_one(&db.pool)
                .await
                .expect("gtid_executed"),
        ),
        Engine::MariaDb => None,
    };
    {
        let b = db.reader(Duration::from_millis(200));
        read_until(&db, &b, "items", 100).await;
    }
    assert_eq!(
        counts(&db, "items").await,
        (100, 0, 100),
        "takeover: once each"
    );
    let gtid = checkpoint_gtid(&db.pool)
        .await
        .expect("the takeover wrote a GTID position");
    match db.engine {
        Engine::MySql => {
            // Everything executed before the reader caught up is in its set.
            let subset: i64 = sqlx::query_scalar("SELECT CAST(GTID_SUBSET(?, ?) AS SIGNED)")
                .bind(executed_before.as_deref().unwrap_or_default())
                .bind(&gtid)
                .fetch_one(&db.pool)
                .await
                .expect("GTID_SUBSET");
            assert_eq!(subset, 1, "{executed_before:?} within {gtid}");
        }
        Engine::MariaDb => {
            // The position followed from the stream is the server's own at that point.
            let (file, pos): (String, u64) = sqlx::query_as(
                "SELECT CAST(binlog_file AS CHAR), binlog_pos FROM certyo_capture_binlog",
            )
            .fetch_one(&db.pool)
            .await
            .expect("checkpoint");
            let server: Option<String> =
                sqlx::query_scalar("SELECT CAST(BINLOG_GTID_POS(?, ?) AS CHAR)")
                    .bind(&file)
                    .bind(pos)
                    .fetch_one(&db.pool)
                    .await
                    .expect("BINLOG_GTID_POS");
            assert_eq!(server.as_deref(), Some(gtid.as_str()), "{file}:{pos}");
        }
    }
    // Another server's file and position (as after a failover): the GTID decides.
    db.exec(
        "UPDATE certyo_capture_binlog SET binlog_file = 'elsewhere-bin.000042', binlog_pos = 4",
    )
    .await;
    for i in 100..150 {
        db.exec(&format!("INSERT INTO items (id, qty) VALUES ({i}, {i})"))
            .await;
    }
    db.exec("UPDATE items SET qty = qty + 1").await;
    {
        let c = db.reader(Duration::from_millis(200));
        read_until(&db, &c, "items", 300).await;
    }
    assert_eq!(
        counts(&db, "items").await,
        (150, 150, 150),
        "resumed by GTID: once each"
    );
    let file: String =
        sqlx::query_scalar("SELECT CAST(binlog_file AS CHAR) FROM certyo_capture_binlog")
            .fetch_one(&db.pool)
            .await
            .expect("checkpoint file");
    assert_ne!(
        file, "elsewhere-bin.000042",
        "file and position follow the stream"
    );
    db.finish().await;
}

/// MySQL with gtid_mode OFF keeps file and position; switched ON online, the reader
/// keeps file and position while the log it reads holds transactions without GTIDs and
/// takes a GTID position in the first file that has none (MariaDB always logs GTIDs:
/// a GTID position from the start). A GTID position the server purged stops the reader
/// with the re-snapshot in the message, and `status` reports it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gtid_mode_switched_on_is_followed_and_a_purged_gtid_checkpoint_is_an_error() {
    let mut server = common::process::ThrowawayServer::start_with(
        &["--log-bin=binlog", "--binlog-format=ROW", "--server-id=1"],
        &[
            "--binlog-row-metadata=FULL",
            "--gtid-mode=OFF",
            "--enforce-gtid-consistency=OFF",
        ],
    )
    .await;
    let url = server.url();
    let pool = certyo_queue::db::connect(&DbConfig::parse(&url).expect("url"), 4)
        .await
        .expect("connect");
    {
        let mut conn = pool.acquire().await.expect("connection");
        certyo_queue::schema::apply(&mut conn)
            .await
            .expect("schema");
    }
    let engine = common::run_engine().await;
    let db = BinlogDb {
        engine,
        url: url.clone(),
        pool,
        _server: None,
    };
    db.exec("CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL)")
        .await;
    migrate::run(&db.pool, &plan(&["items"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    let insert = |from: i64, to: i64| {
        let db = &db;
        async move {
            for i in from..to {
                db.exec(&format!("INSERT INTO items (id, qty) VALUES ({i}, {i})"))
                    .await;
            }
        }
    };
    insert(0, 10).await;
    {
        let r = db.reader(Duration::from_millis(200));
        read_until(&db, &r, "items", 10).await;
    }
    match engine {
        Engine::MySql => {
            assert_eq!(checkpoint_gtid(&db.pool).await, None, "gtid_mode OFF");
            // MySQL's procedure: at ON_PERMISSIVE new transactions get GTIDs; every
            // replica (this reader too) reads past the last anonymous one before ON.
            for step in [
                "SET GLOBAL enforce_gtid_consistency = ON",
                "SET GLOBAL gtid_mode = OFF_PERMISSIVE",
                "SET GLOBAL gtid_mode = ON_PERMISSIVE",
            ] {
                db.exec(step).await;
            }
            insert(10, 20).await;
            {
                let r = db.reader(Duration::from_millis(200));
                read_until(&db, &r, "items", 20).await;
            }
            assert_eq!(checkpoint_gtid(&db.pool).await, None, "ON_PERMISSIVE");
            // At ON the reader resumes from file and position and takes up the server's
            // executed set once it is idle at the server's position.
            db.exec("SET GLOBAL gtid_mode = ON").await;
            insert(20, 30).await;
            {
                let r = db.reader(Duration::from_millis(200));
                read_until(&db, &r, "items", 30).await;
            }
            let gtid = checkpoint_gtid(&db.pool)
                .await
                .expect("a GTID position at ON");
            // MySQL reads it as a GTID set, all of it executed here.
            let subset: i64 =
                sqlx::query_scalar("SELECT CAST(GTID_SUBSET(?, @@global.gtid_executed) AS SIGNED)")
                    .bind(&gtid)
                    .fetch_one(&db.pool)
                    .await
                    .expect("GTID_SUBSET");
            assert_eq!(subset, 1, "{gtid}");
        }
        Engine::MariaDb => {
            assert!(checkpoint_gtid(&db.pool).await.is_some(), "MariaDB: GTIDs");
            insert(10, 30).await;
            let r = db.reader(Duration::from_millis(200));
            read_until(&db, &r, "items", 30).await;
        }
    }
    insert(30, 40).await;
    {
        let r = db.reader(Duration::from_millis(200));
        read_until(&db, &r, "items", 40).await;
    }
    assert!(
        checkpoint_gtid(&db.pool).await.is_some(),
        "a GTID position once the log has GTIDs only"
    );
    assert_eq!(counts(&db, "items").await, (40, 0, 40), "once each");
    // Changes the reader has not read are purged with their binary log.
    insert(40, 50).await;
    common::wait_until(
        Duration::from_secs(20),
        "no binlog dump connected",
        || async {
            sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
        )
        .fetch_one(&db.pool)
        .await
        .map(|n| n == 0)
        .unwrap_or(false)
        },
    )
    .await;
    db.exec("FLUSH BINARY LOGS").await;
    let logs: Vec<String> = sqlx::raw_sql("SHOW BINARY LOGS")
        .fetch_all(&db.pool)
        .await
        .expect("SHOW BINARY LOGS")
        .iter()
        .map(|r| {
            r.try_get::<String, _>(0)
                .unwrap_or_else(|_| String::from_utf8_lossy(&r.get::<Vec<u8>, _>(0)).into_owned())
        })
        .collect();
    let newest = logs.last().cloned().expect("a binary log");
    // MariaDB keeps a file until its binlog checkpoint is written: purge until only the
    // newest is left.
    common::wait_until(
        Duration::from_secs(30),
        "older binary logs purged",
        || async {
            db.exec(&format!("PURGE BINARY LOGS TO '{newest}'")).await;
            sqlx::raw_sql("SHOW BINARY LOGS")
                .fetch_all(&db.pool)
                .await
                .map(|rows| rows.len() == 1)
                .unwrap_or(false)
        },
    )
    .await;
    let reader = db.reader(Duration::from_millis(200));
    let err = reader
        .run_once(&CancellationToken::new())
        .await
        .expect_err("a purged checkpoint stops the reader")
        .to_string();
    assert!(
        err.contains("no longer in the server's binary log")
            && err.contains("backfill")
            && err.contains("GTID"),
        "{err}"
    );
    assert_eq!(
        counts(&db, "items").await,
        (40, 0, 40),
        "nothing more enqueued"
    );
    let out = common::process::run(
        common::process::command(&["status", "--database-url", &db.url]),
        Duration::from_secs(60),
    );
    assert!(
        out.stdout.contains("no longer in the server's binary log"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    drop(reader);
    db.pool.close().await;
    server.stop().await;
}

/// `work --binlog-server-id N` (CERTYO_BINLOG_SERVER_ID) picks the reader's replication
/// server_id; another replica registered under that id is a clear error (the server would
/// disconnect the older of the two), and without it the reader streams under that id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binlog_server_id_is_chosen_and_a_clash_is_refused() {
    let help = common::process::run(
        common::process::command(&["work", "--help"]),
        Duration::from_secs(60),
    );
    assert!(
        help.stdout.contains("--binlog-server-id")
            && help.stdout.contains("CERTYO_BINLOG_SERVER_ID"),
        "{}",
        help.stdout
    );
    let db = BinlogDb::new().await;
    db.exec("CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL)")
        .await;
    migrate::run(&db.pool, &plan(&["items"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    let id = 1_000_000 + fastrand::u32(..1_000_000);
    let reader = BinlogReader::new(
        db.pool.clone(),
        DbConfig::parse(&db.url).expect("url"),
        BinlogConfig {
            server_id: Some(id),
            run_for: Duration::from_millis(200),
            ..BinlogConfig::default()
        },
    )
    .expect("reader settings");
    assert_eq!(reader.server_id(), id);
    // Another replica under that id.
    let other = mysql_async::Conn::new(mysql_async::Opts::from_url(&db.url).expect("replica URL"))
        .await
        .expect("replica connection");
    let other_id = other.id();
    let other = other
        .get_binlog_stream(
            mysql_async::BinlogStreamRequest::new(id).with_hostname(b"other-replica"),
        )
        .await
        .expect("the other replica registers");
    let err = reader
        .run_once(&CancellationToken::new())
        .await
        .expect_err("a clash is refused")
        .to_string();
    assert!(
        err.contains(&format!("server_id {id}"))
            && err.contains("other-replica")
            && err.contains("--binlog-server-id"),
        "{err}"
    );
    // The other replica goes (its dump thread notices only when it writes: kill it).
    drop(other);
    // (MySQL may have ended it already.)
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("KILL {other_id}")))
        .execute(&db.pool)
        .await;
    common::wait_until(
        Duration::from_secs(20),
        "the other replica gone",
        || async {
            let hosts: Vec<String> = sqlx::raw_sql(match db.engine {
                Engine::MySql => "SHOW REPLICAS",
                Engine::MariaDb => "SHOW SLAVE HOSTS",
            })
            .fetch_all(&db.pool)
            .await
            .expect("SHOW REPLICAS")
            .iter()
            .map(|r| r.try_get::<String, _>(1).unwrap_or_default())
            .collect();
            !hosts.iter().any(|h| h == "other-replica")
        },
    )
    .await;
    db.exec("INSERT INTO items (id, qty) VALUES (1, 1)").await;
    read_until(&db, &reader, "items", 1).await;
    let ids: Vec<i64> = sqlx::raw_sql(match db.engine {
        Engine::MySql => "SHOW REPLICAS",
        Engine::MariaDb => "SHOW SLAVE HOSTS",
    })
    .fetch_all(&db.pool)
    .await
    .expect("SHOW REPLICAS")
    .iter()
    .map(|r| {
        r.try_get::<i64, _>(0)
            .or_else(|_| r.try_get::<u32, _>(0).map(i64::from))
            .unwrap_or_default()
    })
    .collect();
    assert!(ids.contains(&i64::from(id)), "registered as {id}: {ids:?}");
    db.finish().await;
}

/// Statements on one connection (an XA transaction, a session variable belong to it).
async fn exec_on(conn: &mut sqlx::MySqlConnection, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xa_transactions_are_queued_at_their_commit_and_never_when_rolled_back() {
    let db = BinlogDb::new().await;
    db.exec("CREATE TABLE ledger (id INT PRIMARY KEY, note VARCHAR(40) NOT NULL)")
        .await;
    migrate::run(&db.pool, &plan(&["ledger"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    // Two XA transactions prepared and left open, a plain insert and a one-phase XA
    // commit after them. XIDs are server-wide (and a prepared one outlives its
    // connection): named after this test's database.
    let tag = db.url.rsplit('/').next().unwrap_or_default().to_string();
    let (a1, b1, c1) = (
        format!("'{tag}a'"),
        format!("'{tag}b'"),
        format!("'{tag}c'"),
    );
    let mut a = db.pool.acquire().await.expect("connection a");
    let mut b = db.pool.acquire().await.expect("connection b");
    exec_on(&mut a, &format!("XA START {a1}; INSERT INTO ledger (id, note) VALUES (1, 'two-phase, committed'); XA END {a1}; XA PREPARE {a1}")).await;
    exec_on(&mut b, &format!("XA START {b1}; INSERT INTO ledger (id, note) VALUES (2, 'two-phase, rolled back'); XA END {b1}; XA PREPARE {b1}")).await;
    db.exec("INSERT INTO ledger (id, note) VALUES (3, 'plain')")
        .await;
    db.exec(&format!("XA START {c1}; INSERT INTO ledger (id, note) VALUES (4, 'one phase'); XA END {c1}; XA COMMIT {c1} ONE PHASE")).await;

    let reader = db.reader(Duration::from_millis(500));
    read_until(&db, &reader, "ledger", 2).await;
    let ids = |rows: Vec<(String, String, String)>| -> Vec<String> {
        rows.into_iter().map(|r| r.1).collect()
    };
    assert_eq!(
        ids(db.queued("ledger").await),
        ["3", "4"],
        "a prepared XA transaction is not queued before its XA COMMIT"
    );

    // A reader that starts while they are prepared reads them again from the checkpoint,
    // which stayed before the first PREPARE. MySQL resumes by GTID set (only the prepared
    // transactions are sent again); MariaDB's position has no holes, so what followed the
    // PREPARE is read, and queued, again.
    let again = db.reader(Duration::from_millis(500));
    for _ in 0..2 {
        again
            .run_once(&CancellationToken::new())
            .await
            .expect("binlog reader run");
    }
    let expected_before_commit: Vec<&str> = match db.engine {
        Engine::MySql => vec!["3", "4"],
        Engine::MariaDb => vec!["3", "4", "3", "4"],
    };
    assert_eq!(ids(db.queued("ledger").await), expected_before_commit);

    exec_on(&mut a, &format!("XA COMMIT {a1}")).await;
    exec_on(&mut b, &format!("XA ROLLBACK {b1}")).await;
    let n = expected_before_commit.len() + 1;
    read_until(&db, &again, "ledger", n).await;
    let rows = db.queued("ledger").await;
    let last = rows.last().cloned().expect("queued rows");
    assert_eq!(last.0, "insert");
    assert_eq!(
        last.1, "1",
        "the committed XA transaction, at its commit's place"
    );
    assert!(last.2.contains("two-phase, committed"), "{}", last.2);
    assert!(
        rows.iter().all(|r| r.1 != "2"),
        "a rolled-back XA transaction is never queued: {rows:?}"
    );
    // Resolved, the checkpoint moves past them: a new reader reads nothing again.
    let fresh = db.reader(Duration::from_millis(500));
    for _ in 0..2 {
        fresh
            .run_once(&CancellationToken::new())
            .await
            .expect("binlog reader run");
    }
    assert_eq!(
        db.queued("ledger").await.len(),
        n,
        "nothing read twice after the XA ends"
    );
    drop((a, b));
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gtid_position_with_a_second_source_is_resumed_exactly() {
    // MySQL 8.3+: tagged GTIDs (uuid:tag:n) beside the server's own; MariaDB: a second
    // replication domain. Both make the checkpoint's GTID position hold two sources.
    let db = BinlogDb::new().await;
    db.exec("CREATE TABLE tagged (id INT PRIMARY KEY, note VARCHAR(20) NOT NULL)")
        .await;
    migrate::run(&db.pool, &plan(&["tagged"], Source::Binlog))
        .await
        .expect("migrate --capture binlog");
    let (other_source, back, marker) = match db.engine {
        Engine::MySql => (
            "SET SESSION gtid_next = 'AUTOMATIC:certyo_test'",
            "SET SESSION gtid_next = 'AUTOMATIC'",
            ":certyo_test:",
        ),
        Engine::MariaDb => (
            "SET SESSION gtid_domain_id = 7",
            "SET SESSION gtid_domain_id = 0",
            "7-1-",
        ),
    };
    let mut conn = db.pool.acquire().await.expect("connection");
    exec_on(&mut conn, "INSERT INTO tagged (id, note) VALUES (1, 'own')").await;
    exec_on(&mut conn, other_source).await;
    exec_on(
        &mut conn,
        "INSERT INTO tagged (id, note) VALUES (2, 'other source')",
    )
    .await;
    exec_on(&mut conn, back).await;
    exec_on(
        &mut conn,
        "INSERT INTO tagged (id, note) VALUES (3, 'own again')",
    )
    .await;

    let reader = db.reader(Duration::from_millis(500));
    read_until(&db, &reader, "tagged", 3).await;
    let gtid = checkpoint_gtid(&db.pool).await.expect("a GTID checkpoint");
    assert!(
        gtid.contains(marker),
        "both sources in the checkpoint: {gtid}"
    );

    // A new reader resumes from that position: nothing again, and what follows, from
    // either source, once.
    exec_on(&mut conn, other_source).await;
    exec_on(
        &mut conn,
        "INSERT INTO tagged (id, note) VALUES (4, 'other source')",
    )
    .await;
    exec_on(&mut conn, back).await;
    exec_on(&mut conn, "INSERT INTO tagged (id, note) VALUES (5, 'own')").await;
    drop(conn);
    let again = db.reader(Duration::from_millis(500));
    read_until(&db, &again, "tagged", 5).await;
    let ids: Vec<String> = db.queued("tagged").await.into_iter().map(|r| r.1).collect();
    assert_eq!(
        ids,
        ["1", "2", "3", "4", "5"],
        "each change once, in commit order"
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_captured_table_switched_to_binlog_while_written_loses_and_doubles_nothing() {
    switched_to_binlog_while_written(Source::Trigger).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polled_table_switched_to_binlog_while_written_loses_and_doubles_nothing() {
    switched_to_binlog_while_written(Source::Poll).await;
}

/// A table captured by `from`, written by an application through `migrate --capture
/// binlog`: every insert queued once, by the old source before the switch or from the
/// log after it.
async fn switched_to_binlog_while_written(from: Source) {
    let db = BinlogDb::new().await;
    db.exec(
        "CREATE TABLE orders (id INT PRIMARY KEY, qty INT NOT NULL, updated_at TIMESTAMP \
         NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, INDEX (updated_at))",
    )
    .await;
    migrate::run(&db.pool, &plan(&["orders"], from))
        .await
        .expect("capture by the first source");
    // An application inserting, one autocommit row at a time, while migrate switches.
    let writer_pool = db.pool.clone();
    let stop = CancellationToken::new();
    let writing = stop.clone();
    let writer = tokio::spawn(async move {
        let mut n = 0i64;
        while !writing.is_cancelled() {
            n += 1;
            sqlx::query("INSERT INTO orders (id, qty) VALUES (?, 1)")
                .bind(n)
                .execute(&writer_pool)
                .await
                .expect("every application insert succeeds during the switch");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        n
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let report = migrate::run(&db.pool, &plan(&["orders"], Source::Binlog))
        .await
        .expect("switch triggers -> binlog");
    assert_eq!(
        report.tables[0].action,
        migrate::TableAction::SwitchedToBinlog
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.cancel();
    let written = writer.await.expect("writer");
    let triggers: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.TRIGGERS \
         WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = 'orders'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count triggers");
    assert_eq!(triggers, 0, "the triggers are gone");
    let by_triggers = db.queued("orders").await.len();
    assert!(
        by_triggers > 0,
        "rows queued by the triggers before the switch"
    );

    let reader = db.reader(Duration::from_millis(500));
    read_until(&db, &reader, "orders", written as usize).await;
    let rows = db.queued("orders").await;
    let mut ids: Vec<i64> = rows.iter().map(|r| r.1.parse().expect("id")).collect();
    assert_eq!(ids.len(), written as usize, "each insert queued once");
    ids.sort();
    ids.dedup();
    assert_eq!(ids, (1..=written).collect::<Vec<_>>(), "no insert missing");
    assert!(
        by_triggers < written as usize,
        "some inserts came after the switch, from the log ({by_triggers} of {written} before)"
    );
    db.finish().await;
}
