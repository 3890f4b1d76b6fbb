//! `certyo-queue migrate`: queue schema, capture triggers, tracking columns, refusals.
mod common;

use certyo_queue::capture::{self, TriggerState};
use certyo_queue::migrate::{self, MigratePlan, TableAction};
use common::TestDb;
use serde_json::{json, Value};

/// The guide's `products`, plus the types the issue asks for (NULL, unicode, JSON) and
/// an auto-updated timestamp.
const PRODUCTS: &str = "CREATE TABLE products (
    id INT AUTO_INCREMENT PRIMARY KEY,
    sku VARCHAR(64) NOT NULL,
    name VARCHAR(255) CHARACTER SET utf8mb4 NOT NULL,
    category VARCHAR(64) NULL,
    price DECIMAL(10,2) NOT NULL,
    batch_number VARCHAR(64) NULL,
    manufactured_at DATETIME NULL,
    attrs JSON NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB";

/// A fresh database with this file's `products` table, captured.
async fn captured_products() -> TestDb {
    let db = TestDb::new().await;
    db.exec(PRODUCTS).await;
    migrate::run(&db.pool, &capture(&["products"]))
        .await
        .unwrap();
    db
}

/// The guide's own CREATE TABLE for the queue, verbatim.
const GUIDE_QUEUE: &str = "CREATE TABLE certyo_queue (
id BIGINT AUTO_INCREMENT PRIMARY KEY,
table_name VARCHAR(100) NOT NULL,
record_id VARCHAR(100) NOT NULL,
op_type ENUM('insert', 'update', 'delete') NOT NULL,
payload JSON NOT NULL,
created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
processed BOOLEAN DEFAULT FALSE,
INDEX idx_unprocessed (processed, created_at)
) ENGINE=InnoDB";

fn capture(tables: &[&str]) -> MigratePlan {
    MigratePlan {
        tables: tables.iter().map(|t| t.to_string()).collect(),
        ..MigratePlan::default()
    }
}

/// (op_type, record_id, payload) of every queue row, in order.
async fn queue_rows(db: &TestDb) -> Vec<(String, String, Value)> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT CAST(op_type AS CHAR), CAST(record_id AS CHAR), CAST(payload AS CHAR) FROM certyo_queue ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(op, id, p)| (op, id, serde_json::from_str(&p).unwrap()))
        .collect()
}

/// MySQL renders DATETIME in JSON with `.000000`, MariaDB without: compare values.
fn normalise(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        for value in map.values_mut() {
            if let Value::String(s) = value {
                if let Some(stripped) = s.strip_suffix(".000000") {
                    *s = stripped.to_string();
                }
            }
        }
        map.remove("updated_at");
    }
    v
}

async fn trigger_count(db: &TestDb) -> i64 {
    db.scalar(&format!(
        "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{}'",
        db.name
    ))
    .await
}

#[tokio::test]
async fn inserts_updates_and_deletes_are_queued_with_json_object_payloads() {
    let db = TestDb::new().await;
    db.exec(PRODUCTS).await;
    let report = migrate::run(&db.pool, &capture(&["products"]))
        .await
        .unwrap();
    assert_eq!(report.tables[0].action, TableAction::Installed);
    assert_eq!(trigger_count(&db).await, 4);

    db.exec(
        "INSERT INTO products (sku, name, category, price, batch_number, manufactured_at, attrs)
         VALUES ('SKU-1', 'Café “Ünïcode” 製品', NULL, 12.50, 'B-7', '2026-01-02 03:04:05', '{\"color\": \"red\", \"sizes\": [1, 2]}')",
    )
    .await;
    db.exec("UPDATE products SET price = 13.75, category = 'tools' WHERE id = 1")
        .await;
    db.exec("DELETE FROM products WHERE id = 1").await;

    let rows = queue_rows(&db).await;
    let inserted = json!({
        "id": 1, "sku": "SKU-1", "name": "Café “Ünïcode” 製品", "category": null,
        "price": 12.50, "batch_number": "B-7", "manufactured_at": "2026-01-02 03:04:05",
        "attrs": {"color": "red", "sizes": [1, 2]}
    });
    let mut updated = inserted.clone();
    updated["price"] = json!(13.75);
    updated["category"] = json!("tools");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), ("insert", "1"));
    assert_eq!(normalise(rows[0].2.clone()), inserted);
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), ("update", "1"));
    assert_eq!(normalise(rows[1].2.clone()), updated);
    assert_eq!((rows[2].0.as_str(), rows[2].1.as_str()), ("delete", "1"));
    assert_eq!(normalise(rows[2].2.clone()), updated, "delete carries OLD");
    for (_, _, payload) in &rows {
        assert!(
            payload.get("updated_at").is_some(),
            "auto timestamp stays in the payload"
        );
        assert!(
            payload
                .as_object()
                .unwrap()
                .keys()
                .all(|k| !k.starts_with("certyo_")),
            "tracking columns leaked into {payload}"
        );
    }
    // DECIMAL stays a JSON number with its scale, as JSON_OBJECT renders it.
    let raw: String =
        sqlx::query_scalar("SELECT CAST(payload AS CHAR) FROM certyo_queue ORDER BY id LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(raw.contains("\"price\": 12.50"), "{raw}");

    for col in [
        "certyo_record_hash",
        "certyo_anchor_status",
        "certyo_verified_at",
        "certyo_ingested_at",
        "certyo_verify_next_at",
        "certyo_payload_sha256",
    ] {
        assert_eq!(
            db.scalar(&format!("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = 'products' AND COLUMN_NAME = '{col}' AND IS_NULLABLE = 'YES'", db.name)).await,
            1,
            "{col}"
        );
    }
    assert_eq!(
        db.scalar(&format!("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = 'products' AND INDEX_NAME = 'certyo_verify'", db.name)).await,
        2,
        "certyo_verify (status, ingested_at)"
    );
    db.finish().await;
}

#[tokio::test]
async fn no_op_updates_tracking_updates_and_marked_sessions_enqueue_nothing() {
    let db = captured_products().await;
    db.exec("INSERT INTO products (sku, name, price) VALUES ('A', 'widget', 1.00)")
        .await;
    let after_insert = db.scalar("SELECT COUNT(*) FROM certyo_queue").await;
    assert_eq!(after_insert, 1);

    db.exec("UPDATE products SET name = name, price = 1.00")
        .await;
    db.exec("UPDATE products SET certyo_anchor_status = 'Anchored', certyo_record_hash = 'h1', certyo_verified_at = NOW()").await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        1,
        "no-op and tracking-only updates must not enqueue"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Anchored'")
            .await,
        1,
        "a tracking-only update keeps its values"
    );

    let mut conn = db.pool.acquire().await.unwrap();
    sqlx::raw_sql("SET @certyo_queue_writeback = 1; UPDATE products SET price = 2.00; INSERT INTO products (sku, name, price) VALUES ('B', 'x', 1); DELETE FROM products WHERE sku = 'B'; SET @certyo_queue_writeback = NULL")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        1,
        "changes made with the marker set must not enqueue"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Anchored'")
            .await,
        1,
        "with the marker set the tracking state is not reset"
    );

    // A case-only change is a change (strings compare as bytes), and it resets the
    // tracking state of the replaced version.
    db.exec("UPDATE products SET name = 'WIDGET'").await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 2);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status IS NULL AND certyo_record_hash IS NULL AND certyo_verified_at IS NULL").await,
        1,
        "a business change clears the tracking columns"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_guide_made_queue_table_is_adopted_with_its_pending_rows() {
    let db = TestDb::empty().await;
    db.exec(GUIDE_QUEUE).await;
    db.exec("INSERT INTO certyo_queue (table_name, record_id, op_type, payload) VALUES ('products', '1', 'insert', '{\"id\": 1}'), ('products', '2', 'update', '{\"id\": 2}')").await;
    db.exec("INSERT INTO certyo_queue (table_name, record_id, op_type, payload, processed) VALUES ('products', '3', 'delete', '{\"id\": 3}', TRUE)").await;
    db.exec(PRODUCTS).await;

    let report = migrate::run(&db.pool, &capture(&["products"]))
        .await
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert_eq!(
        report.schema_migrations.len(),
        files,
        "every migration applied over the adopted table: {:?}",
        report.schema_migrations
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 3);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND dead_at IS NULL AND available_at IS NOT NULL AND record_id IN ('1', '2')").await,
        2,
        "the guide's pending rows stay pending and claimable"
    );
    db.exec("INSERT INTO products (sku, name, price) VALUES ('A', 'a', 1)")
        .await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 4);
    db.finish().await;
}

#[tokio::test]
async fn a_second_run_is_a_no_op_and_schema_drift_is_picked_up() {
    let db = captured_products().await;
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        capture::trigger_state(&mut conn, &db.name, "products")
            .await
            .unwrap(),
        TriggerState::Current
    );
    drop(conn);

    let again = migrate::run(&db.pool, &capture(&["products"]))
        .await
        .unwrap();
    assert!(!again.changed(), "{:?}", again.statements);
    assert_eq!(again.tables[0].action, TableAction::Unchanged);
    assert!(migrate::summary(&again).contains("nothing to do"));

    db.exec("ALTER TABLE products ADD COLUMN color VARCHAR(20) NULL")
        .await;
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        capture::trigger_state(&mut conn, &db.name, "products")
            .await
            .unwrap(),
        TriggerState::Drifted
    );
    drop(conn);
    let drift = migrate::run(&db.pool, &capture(&["products"]))
        .await
        .unwrap();
    assert_eq!(drift.tables[0].action, TableAction::Regenerated);
    assert_eq!(trigger_count(&db).await, 4);
    db.exec("INSERT INTO products (sku, name, price, color) VALUES ('A', 'a', 1, 'blue')")
        .await;
    let rows = queue_rows(&db).await;
    assert_eq!(
        rows[0].2["color"],
        json!("blue"),
        "the new column is captured"
    );
    assert!(!migrate::run(&db.pool, &capture(&["products"]))
        .await
        .unwrap()
        .changed());
    db.finish().await;
}

#[tokio::test]
async fn dry_run_prints_the_sql_and_writes_nothing() {
    let db = TestDb::empty().await;
    db.exec(PRODUCTS).await;
    let plan = MigratePlan {
        dry_run: true,
        ..capture(&["products"])
    };
    let report = migrate::run(&db.pool, &plan).await.unwrap();
    let sql = report.statements.join("\n");
    assert!(
        sql.contains("CREATE TABLE IF NOT EXISTS certyo_queue"),
        "{sql}"
    );
    assert!(
        sql.contains("ALTER TABLE `products` ADD COLUMN certyo_record_hash"),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE TRIGGER `certyo_products_ai` AFTER INSERT ON `products`"),
        "{sql}"
    );

    let out = std::process::Command::new(common::bin())
        .args([
            "migrate",
            "--dry-run",
            "--table",
            "products",
            "--database-url",
            &db.url(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CREATE TRIGGER `certyo_products_bu` BEFORE UPDATE ON `products`"),
        "{stdout}"
    );

    assert_eq!(trigger_count(&db).await, 0);
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}'",
            db.name
        ))
        .await,
        1,
        "only products exists: no queue table, no history table"
    );
    assert_eq!(
        db.scalar(&format!("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{}' AND COLUMN_NAME LIKE 'certyo%'", db.name)).await,
        0
    );
    db.finish().await;
}

#[tokio::test]
async fn composite_keys_are_queued_as_a_json_array() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE order_lines (region VARCHAR(8) NOT NULL, id INT NOT NULL, qty INT NOT NULL, PRIMARY KEY (region, id))").await;
    migrate::run(&db.pool, &capture(&["order_lines"]))
        .await
        .unwrap();
    db.exec("INSERT INTO order_lines (region, id, qty) VALUES ('eu', 42, 3)")
        .await;
    let rows = queue_rows(&db).await;
    assert_eq!(rows[0].1, r#"["eu", 42]"#);
    let parsed: Value = serde_json::from_str(&rows[0].1).unwrap();
    assert_eq!(parsed, json!(["eu", 42]));
    let mut conn = db.pool.acquire().await.unwrap();
    let captured = capture::captured_tables(&mut conn, &db.name).await.unwrap();
    assert_eq!(captured.len(), 1);
    assert_eq!(captured[0].pk_columns, vec!["region", "id"]);
    drop(conn);
    db.finish().await;
}

#[tokio::test]
async fn uncapture_drops_the_triggers_and_keeps_data_columns_and_queue() {
    let db = captured_products().await;
    db.exec("INSERT INTO products (sku, name, price) VALUES ('A', 'a', 1)")
        .await;
    let plan = MigratePlan {
        uncapture: vec!["products".into()],
        ..MigratePlan::default()
    };
    let report = migrate::run(&db.pool, &plan).await.unwrap();
    assert_eq!(report.tables[0].action, TableAction::Uncaptured);
    assert_eq!(trigger_count(&db).await, 0);
    db.exec("INSERT INTO products (sku, name, price) VALUES ('B', 'b', 1)")
        .await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 1);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status IS NULL")
            .await,
        2
    );
    let mut conn = db.pool.acquire().await.unwrap();
    assert!(capture::captured_tables(&mut conn, &db.name)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        capture::trigger_state(&mut conn, &db.name, "products")
            .await
            .unwrap(),
        TriggerState::Missing
    );
    drop(conn);
    let again = migrate::run(&db.pool, &plan).await.unwrap();
    assert_eq!(again.tables[0].action, TableAction::NotCaptured);
    db.finish().await;
}

#[tokio::test]
async fn concurrent_migrates_queue_up_on_the_named_lock() {
    let db = TestDb::new().await;
    db.exec(PRODUCTS).await;
    let plan = capture(&["products"]);
    let (a, b, c) = tokio::join!(
        migrate::run(&db.pool, &plan),
        migrate::run(&db.pool, &plan),
        migrate::run(&db.pool, &plan)
    );
    let changed = [a.unwrap(), b.unwrap(), c.unwrap()]
        .iter()
        .filter(|r| r.changed())
        .count();
    assert_eq!(
        changed, 1,
        "exactly one run installs, the others find it done"
    );
    assert_eq!(trigger_count(&db).await, 4);
    assert!(migrate::lock_name(&"s".repeat(64)).chars().count() <= 64);
    assert_ne!(migrate::lock_name("a"), migrate::lock_name("b"));
    db.finish().await;
}

#[tokio::test]
async fn regenerating_triggers_under_write_load_loses_no_change() {
    let db = captured_products().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let pool = db.pool.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0i64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                sqlx::query("INSERT INTO products (sku, name, price) VALUES ('W', 'w', 1)")
                    .execute(&pool)
                    .await
                    .unwrap();
                n += 1;
            }
            n
        })
    };
    for i in 0..3 {
        db.exec(&format!(
            "ALTER TABLE products ADD COLUMN extra{i} INT NULL"
        ))
        .await;
        let r = migrate::run(&db.pool, &capture(&["products"]))
            .await
            .unwrap();
        assert_eq!(r.tables[0].action, TableAction::Regenerated);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(written > 0);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        written,
        "every insert made while triggers were replaced is queued"
    );
    db.finish().await;
}

/// Run the binary; returns (exit success, stderr).
fn run_bin(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(common::bin())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn assert_refused(args: &[&str], expect: &str) {
    let (ok, stderr) = run_bin(args);
    assert!(!ok, "expected a refusal for {args:?}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one readable line, got: {stderr}");
    assert!(
        lines[0].contains(expect),
        "expected {expect:?} in: {stderr}"
    );
}

#[tokio::test]
async fn refusals_exit_non_zero_with_one_line_and_change_nothing() {
    let db = TestDb::new().await;
    db.exec(PRODUCTS).await;
    db.exec("CREATE TABLE nopk (a INT)").await;
    let url = db.url();
    assert_refused(
        &[
            "migrate",
            "--database-url",
            &url,
            "--table",
            "products",
            "--table",
            "missing",
        ],
        "table `missing` does not exist",
    );
    assert_refused(
        &[
            "migrate",
            "--database-url",
            &url,
            "--table",
            "products",
            "--table",
            "nopk",
        ],
        "table `nopk` has no primary key",
    );
    assert_refused(
        &[
            "migrate",
            "--database-url",
            &url,
            "--table",
            "products`; DROP TABLE products; --",
        ],
        "refusing table name",
    );
    assert_refused(
        &["migrate", "--database-url", &url, "--table", "certyo_queue"],
        "certyo-queue's own table",
    );
    assert_refused(
        &[
            "migrate",
            "--database-url",
            "mysql://root@127.0.0.1:1/x",
            "--table",
            "products",
        ],
        "cannot connect to the database",
    );
    assert_eq!(trigger_count(&db).await, 0, "nothing half-applied");
    assert_eq!(
        db.scalar(&format!("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{}' AND COLUMN_NAME LIKE 'certyo%'", db.name)).await,
        0
    );
    db.finish().await;
}

#[tokio::test]
async fn missing_privileges_name_the_grant_needed() {
    let db = TestDb::new().await;
    db.exec(PRODUCTS).await;
    let user = format!("lim_{}", &db.name[db.name.len().saturating_sub(20)..]);
    db.exec(&format!(
        "CREATE USER '{user}'@'%' IDENTIFIED BY 'pw-Secret-1'"
    ))
    .await;
    db.exec(&format!("GRANT SELECT ON `{}`.* TO '{user}'@'%'", db.name))
        .await;
    // MySQL ships with binary logging on, and migrate refuses a user without SUPER
    // before anything else until log_bin_trust_function_creators = 1 (that refusal is
    // tested in privileges.rs); with it set, the missing grants are what is reported.
    if db.engine().await == common::Engine::MySql {
        db.exec("SET GLOBAL log_bin_trust_function_creators = 1")
            .await;
    }
    let mut url = reqwest::Url::parse(&db.url()).unwrap();
    url.set_username(&user).unwrap();
    url.set_password(Some("pw-Secret-1")).unwrap();
    let (ok, stderr) = run_bin(&[
        "migrate",
        "--database-url",
        url.as_str(),
        "--table",
        "products",
    ]);
    db.exec(&format!("DROP USER '{user}'@'%'")).await;
    assert!(!ok);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
    assert!(
        stderr.contains(
            "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, TRIGGER, LOCK TABLES"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("pw-Secret-1"),
        "the password leaked: {stderr}"
    );
    assert_eq!(trigger_count(&db).await, 0);
    db.finish().await;
}

/// An open transaction on a captured table holds its metadata lock while `migrate`
/// regenerates the triggers: migrate waits a short while per try (the application's
/// queries wait at most about that long behind it), says what it waits for, gives up
/// with a clear message and exit 1, and the old triggers keep capturing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrate_behind_an_open_transaction_gives_up_quickly_and_leaves_capture_working() {
    use sqlx::Connection;
    use std::time::{Duration, Instant};

    let db = TestDb::with_products().await;
    db.insert_products(3).await;
    // Drift: a new column, so migrate wants to regenerate the triggers.
    db.exec("ALTER TABLE products ADD COLUMN colour VARCHAR(10) NULL")
        .await;
    let before = db.scalar("SELECT COUNT(*) FROM certyo_queue").await;

    // The open transaction (holds the table's metadata lock until it ends).
    let mut holder = db.pool.acquire().await.unwrap().detach();
    let mut tx = holder.begin().await.unwrap();
    sqlx::query("SELECT COUNT(*) FROM products")
        .fetch_one(&mut *tx)
        .await
        .unwrap();

    let url = db.url();
    let migrate = tokio::task::spawn_blocking(move || {
        let mut cmd = common::process::command(&[
            "migrate",
            "--table",
            "products",
            "--lock-wait-timeout",
            "1s",
        ]);
        cmd.env("DATABASE_URL", url);
        common::process::run(cmd, Duration::from_secs(60))
    });

    // The application keeps inserting meanwhile; no statement waits much longer than
    // one lock wait.
    let mut slowest = Duration::ZERO;
    let mut inserted = 0;
    while !migrate.is_finished() {
        let started = Instant::now();
        sqlx::query("UPDATE products SET price = price + 1 WHERE id = 1")
            .execute(&db.pool)
            .await
            .unwrap();
        inserted += 1;
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = migrate.await.unwrap();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let errors = out.error_lines();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(
        errors[0].contains("metadata lock of `products`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("waiting: another session"),
        "{}",
        out.stderr
    );
    assert!(
        slowest < Duration::from_millis(2500),
        "an application statement waited {slowest:?} behind migrate"
    );
    tx.commit().await.unwrap();

    // The old triggers still capture every change.
    let during = db.scalar("SELECT COUNT(*) FROM certyo_queue").await - before;
    assert_eq!(
        during, inserted,
        "every update while migrate waited was captured"
    );
    db.exec("INSERT INTO products (sku, name, category, price, batch_number, manufactured_at) VALUES ('x', 'x', 'c', 1, 'b', NOW())").await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await - before,
        inserted + 1
    );
    assert_eq!(
        capture::trigger_state(&mut db.pool.acquire().await.unwrap(), &db.name, "products")
            .await
            .unwrap(),
        TriggerState::Drifted,
        "the old triggers are still installed"
    );
    db.finish().await;
}

/// Paste `sql` into the `mysql` command-line client (which strips comments) connected
/// to `db`, as a user would; panics with the client's error.
fn paste(db: &TestDb, sql: &str) {
    use std::io::Write;
    let url = reqwest::Url::parse(&db.url()).unwrap();
    let mut cmd = std::process::Command::new("mysql");
    cmd.arg(format!("--host={}", url.host_str().unwrap_or("127.0.0.1")))
        .arg(format!("--port={}", url.port().unwrap_or(3306)))
        .arg(format!("--user={}", url.username()))
        .arg(&db.name)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(pw) = url.password() {
        cmd.env("MYSQL_PWD", pw);
    }
    let mut child = cmd.spawn().expect("the mysql client is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pasting failed: {}\n{sql}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn dry_run_output(db: &TestDb) -> String {
    let out = std::process::Command::new(common::bin())
        .args([
            "migrate",
            "--dry-run",
            "--table",
            "products",
            "--database-url",
            &db.url(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test]
async fn dry_run_output_pasted_into_the_mysql_client_equals_a_migrate() {
    let db = TestDb::empty().await;
    db.exec(PRODUCTS).await;

    // A fresh database: the schema in version order, refinery's history, the triggers.
    let sql = dry_run_output(&db);
    let v1 = sql
        .find("CREATE TABLE IF NOT EXISTS certyo_queue (")
        .unwrap();
    let v4 = sql.find("DROP INDEX idx_unprocessed").unwrap();
    assert!(v1 < v4, "migrations in version order:\n{sql}");
    paste(&db, &sql);
    let again = migrate::run(&db.pool, &capture(&["products"]))
        .await
        .expect("migrate after the paste");
    assert!(
        !again.changed(),
        "the paste left nothing to do: {:?}",
        again.statements
    );
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        capture::trigger_state(&mut conn, &db.name, "products")
            .await
            .unwrap(),
        TriggerState::Current,
        "pasted triggers are current, comments stripped or not"
    );
    drop(conn);
    db.exec("INSERT INTO products (sku, name, price) VALUES ('A', 'a', 1)")
        .await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 1);

    // A migrated database after an ALTER: only the triggers are replaced.
    db.exec("ALTER TABLE products ADD COLUMN color VARCHAR(20) NULL")
        .await;
    let sql = dry_run_output(&db);
    assert!(!sql.contains("certyo_queue_schema_history"), "{sql}");
    paste(&db, &sql);
    let out = std::process::Command::new(common::bin())
        .args(["status", "--database-url", &db.url()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("products") && l.contains("current")),
        "{stdout}"
    );
    db.exec("INSERT INTO products (sku, name, price, color) VALUES ('B', 'b', 1, 'red')")
        .await;
    let rows = queue_rows(&db).await;
    assert_eq!(rows[1].2["color"], json!("red"));
    db.finish().await;
}

#[tokio::test]
async fn migrate_puts_the_sessions_own_sql_mode_back_after_creating_triggers() {
    let db = TestDb::new().await;
    db.exec(PRODUCTS).await;
    let pool = certyo_queue::db::connect(&db.cfg, 1).await.unwrap();
    let read = || async {
        sqlx::query_as::<_, (String, String)>(
            "SELECT CAST(@@SESSION.sql_mode AS CHAR), CAST(@@SESSION.collation_connection AS CHAR)",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = read().await;
    let report = migrate::run(&pool, &capture(&["products"])).await.unwrap();
    assert_eq!(report.tables[0].action, TableAction::Installed);
    assert_eq!(
        read().await,
        before,
        "one pooled connection, settings restored"
    );
    // The triggers themselves run with capture's settings, not the creator's.
    let mode: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(SQL_MODE AS CHAR) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{}' AND TRIGGER_NAME = 'certyo_products_ai'",
        db.name
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(mode, "NO_ENGINE_SUBSTITUTION");
    pool.close().await;
    db.finish().await;
}
