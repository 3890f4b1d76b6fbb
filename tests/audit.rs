//! `certyo-queue audit`: rows altered behind capture's back are found (capture dropped,
//! the capture marker set, a foreign-key cascade, an older copy restored, a delete
//! without its event), rows untouched or changed through capture are not; `--mark`
//! queues nothing and moves no ON UPDATE column; every column type renders now exactly
//! as it was delivered; `--prove` asks Certyo (the emulator) about the current content.
mod common;

use std::time::Duration;

use common::process::{command, run, Output};
use common::{wait_until, RunningWorker, TestDb};
use serde_json::Value;
use sha2::{Digest, Sha256};

const PARENTS: &str = "CREATE TABLE parents (code VARCHAR(10) PRIMARY KEY) ENGINE=InnoDB";
const CHILDREN: &str = "CREATE TABLE children (
    id INT PRIMARY KEY,
    parent_code VARCHAR(10) NULL,
    note VARCHAR(50) NOT NULL,
    CONSTRAINT fk_child_parent FOREIGN KEY (parent_code) REFERENCES parents (code)
      ON UPDATE CASCADE ON DELETE CASCADE
) ENGINE=InnoDB";

/// Deliver everything queued (a worker against the emulator) and wait until the queue
/// is drained, so every delivered version is written back.
async fn deliver_all(db: &TestDb, emu: &certyo_queue::emulator::EmulatorHandle) {
    let worker = RunningWorker::start(
        db,
        common::api_config(&emu.url(), &db.name),
        None,
        common::worker_config(2),
    );
    wait_until(Duration::from_secs(60), "the queue to drain", || async {
        db.pending().await == 0
    })
    .await;
    assert!(worker.stop().await, "worker drained");
}

/// `certyo-queue audit --json <extra>` against the test database.
fn audit(db: &TestDb, extra: &[&str]) -> (Output, Value) {
    let url = db.url();
    let mut args = vec!["audit", "--database-url", url.as_str(), "--json"];
    args.extend_from_slice(extra);
    let out = run(command(&args), Duration::from_secs(120));
    let json = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "audit printed no JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
            out.code, out.stdout, out.stderr
        )
    });
    (out, json)
}

fn table<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["table"] == name))
        .unwrap_or_else(|| panic!("no table {name} in {report:#}"))
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// Run `statements` on one connection with the capture marker set, as a session that
/// imitates the worker's write-back would.
async fn with_marker(db: &TestDb, statements: &[&str]) {
    let mut conn = db.pool.acquire().await.unwrap();
    sqlx::raw_sql("SET @certyo_queue_writeback = 1")
        .execute(&mut *conn)
        .await
        .unwrap();
    for s in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*s))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    sqlx::raw_sql("SET @certyo_queue_writeback = NULL")
        .execute(&mut *conn)
        .await
        .unwrap();
}

async fn queue_rows(db: &TestDb) -> i64 {
    db.scalar("SELECT COUNT(*) FROM certyo_queue").await
}

/// Products 1..=9 and children 1..=3 delivered, then each altered its own way.
async fn altered_setup() -> (TestDb, certyo_queue::emulator::EmulatorHandle) {
    let db = TestDb::with_products().await;
    db.exec(PARENTS).await;
    db.exec(CHILDREN).await;
    db.capture(&["products", "children"]).await;
    db.insert_products(8).await;
    db.exec("INSERT INTO parents VALUES ('A'), ('B')").await;
    db.exec("INSERT INTO children (id, parent_code, note) VALUES (1, 'A', 'one'), (2, 'B', 'two'), (3, NULL, 'three')")
        .await;
    db.exec("CREATE TABLE products_backup AS SELECT * FROM products WHERE id = 6")
        .await;
    let emu = certyo_queue::emulator::start(Default::default())
        .await
        .unwrap();
    deliver_all(&db, &emu).await;

    // 2: changed through capture and delivered again (a new anchored version).
    db.exec("UPDATE products SET name = 'renamed' WHERE id = 2")
        .await;
    // 6: changed through capture and delivered; an older copy is restored below.
    db.exec("UPDATE products SET price = 99.99 WHERE id = 6")
        .await;
    deliver_all(&db, &emu).await;

    // 3: changed while capture was off (triggers dropped, then put back by migrate).
    for t in ["bu", "ai", "au", "ad"] {
        db.exec(&format!("DROP TRIGGER certyo_products_{t}")).await;
    }
    db.exec("UPDATE products SET category = 'while capture was off' WHERE id = 3")
        .await;
    db.capture(&["products"]).await;
    // 4: changed by a session with the capture marker set; 7: deleted by one.
    with_marker(
        &db,
        &[
            "UPDATE products SET batch_number = 'B-marker' WHERE id = 4",
            "DELETE FROM products WHERE id = 7",
            // 6: its business columns restored from the backup taken before the update.
            "UPDATE products p JOIN products_backup b ON b.id = p.id \
             SET p.price = b.price, p.updated_at = b.updated_at",
        ],
    )
    .await;
    // children 1: changed by a foreign-key cascade (fires no trigger).
    db.exec("UPDATE parents SET code = 'A2' WHERE code = 'A'")
        .await;
    // Changes capture deliberately ignores: tracking columns only (children 2), and a
    // tracking-only update that pins the auto-updated column (products 5).
    db.exec("UPDATE children SET certyo_record_hash = 'edited by hand' WHERE id = 2")
        .await;
    db.exec(
        "UPDATE products SET certyo_anchor_status = 'Anchored', updated_at = updated_at WHERE id = 5",
    )
    .await;
    // 9: inserted, never delivered; 8: changed through capture, not delivered yet.
    db.exec("INSERT INTO products (id, sku, name) VALUES (9, 'SKU-9', 'new')")
        .await;
    db.exec("UPDATE products SET name = 'waiting' WHERE id = 8")
        .await;
    (db, emu)
}

#[tokio::test]
async fn audit_finds_every_row_altered_behind_captures_back_and_no_other() {
    let (db, emu) = altered_setup().await;

    // The digest written back is the SHA-256 of the exact payload text delivered.
    let (payload, digest): (String, String) = sqlx::query_as(
        "SELECT CAST(q.payload AS CHAR), CAST(p.certyo_payload_sha256 AS CHAR) \
         FROM certyo_queue q JOIN products p ON CAST(q.record_id AS CHAR) = CAST(p.id AS CHAR) \
         WHERE q.table_name = 'products' AND p.id = 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let inspection = emu.inspect();
    let sent = inspection
        .record("products", "1")
        .and_then(|r| r.latest())
        .expect("product 1 delivered");
    assert_eq!(
        serde_json::from_str::<Value>(&payload).unwrap(),
        sent.payload
    );
    assert_eq!(digest, hex(&Sha256::digest(payload.as_bytes())));

    let queued = queue_rows(&db).await;
    let (out, report) = audit(&db, &[]);
    assert_eq!(out.code, 2, "altered rows: exit 2\n{}", out.stderr);
    assert_eq!(report["clean"], false);

    let products = table(&report, "products");
    assert_eq!(
        ids(&products["altered_rows"]),
        ["3", "4", "6"],
        "{products:#}"
    );
    assert_eq!(products["altered"], 3);
    // 1, 2 (re-anchored through capture), 5 (tracking columns only) match.
    assert_eq!(products["matching"], 3, "{products:#}");
    assert_eq!(products["never_delivered"], 1);
    assert_eq!(products["awaiting_delivery"], 1);
    assert_eq!(products["rows"], 8);
    assert_eq!(ids(&products["gone_rows"]), ["7"]);
    assert_eq!(products["gone_rows"][0]["last_op"], "insert");
    assert_eq!(products["gone_rows"][0]["delivered"], true);
    for row in products["altered_rows"].as_array().unwrap() {
        assert!(row["delivered_at"].is_string(), "{row}");
        assert_eq!(row["status"], "Pending");
    }

    let children = table(&report, "children");
    assert_eq!(ids(&children["altered_rows"]), ["1"], "{children:#}");
    assert_eq!(children["matching"], 2);
    assert_eq!(children["gone"], 0);

    // Only the table asked for.
    let (out, report) = audit(&db, &["--table", "children"]);
    assert_eq!(out.code, 2);
    assert_eq!(report["tables"].as_array().unwrap().len(), 1);

    // The text report names the rows and when they were anchored.
    let url = db.url();
    let text = run(
        command(&["audit", "--database-url", &url, "--table", "products"]),
        Duration::from_secs(60),
    );
    assert_eq!(text.code, 2);
    assert!(
        text.stdout
            .contains("audit `products`: 8 rows: 3 match, 3 altered"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("  altered: record 3 (Pending, delivered 20"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("  gone: record 7"), "{}", text.stdout);

    // The audit is read-only.
    assert_eq!(queue_rows(&db).await, queued);
    db.finish().await;
}

// Multi-threaded: the emulator keeps answering the `work` child started below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_sets_altered_without_queueing_or_moving_timestamps_and_counts_them() {
    let (db, emu) = altered_setup().await;
    let queued = queue_rows(&db).await;
    let before: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, CAST(updated_at AS CHAR) FROM products ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();

    let (out, report) = audit(&db, &["--mark", "--limit", "1"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let products = table(&report, "products");
    assert_eq!(
        products["marked"], 3,
        "every altered row is marked, not only those listed"
    );
    assert_eq!(products["altered_rows"].as_array().unwrap().len(), 1);
    assert_eq!(table(&report, "children")["marked"], 1);

    let altered: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM products WHERE certyo_anchor_status = 'Altered' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(altered, [3, 4, 6]);
    assert_eq!(queue_rows(&db).await, queued, "--mark queues nothing");
    let after: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, CAST(updated_at AS CHAR) FROM products ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(before, after, "--mark moves no ON UPDATE column");

    // Still altered on the next run (exit 2), nothing left to mark.
    let (out, report) = audit(&db, &["--mark"]);
    assert_eq!(out.code, 2);
    assert_eq!(table(&report, "products")["altered"], 3);
    assert_eq!(table(&report, "products")["marked"], 0);

    // status counts them.
    let url = db.url();
    let status = run(
        command(&["status", "--database-url", &url, "--json"]),
        Duration::from_secs(60),
    );
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    let p = status["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "products")
        .unwrap();
    assert_eq!(p["anchor"]["altered"], 3, "{p:#}");
    assert!(
        status["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m.as_str().unwrap().contains("3 row(s) marked Altered")),
        "{status:#}"
    );

    // work's /metrics: the gauge the alert is written on.
    let port = common::process::free_port().to_string();
    let addr = format!("127.0.0.1:{port}");
    let _worker = common::process::Worker::spawn_with_scheduled(
        "audit-metrics",
        &url,
        &emu.url(),
        &["--metrics-addr", &addr, "--verify-interval", "1s"],
    );
    let metrics_url = format!("http://{addr}/metrics");
    wait_until(
        Duration::from_secs(60),
        "certyo_rows_altered{table=\"products\"} 3 on /metrics",
        || async {
            let Ok(resp) = reqwest::get(&metrics_url).await else {
                return false;
            };
            let text = resp.text().await.unwrap_or_default();
            text.lines()
                .any(|l| l == "certyo_rows_altered{table=\"products\"} 3")
                && text
                    .lines()
                    .any(|l| l == "certyo_rows_altered{table=\"children\"} 1")
        },
    )
    .await;

    // A change through capture replaces the Altered version: it is delivered again.
    db.exec("UPDATE products SET name = 'fixed' WHERE id = 3")
        .await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE id = 3 AND certyo_anchor_status IS NULL")
            .await,
        1
    );
    db.finish().await;
}

#[tokio::test]
async fn a_clean_table_exits_zero() {
    let db = TestDb::with_products().await;
    db.insert_products(25).await;
    let emu = certyo_queue::emulator::start(Default::default())
        .await
        .unwrap();
    deliver_all(&db, &emu).await;
    db.exec("UPDATE products SET name = 'again' WHERE id <= 5")
        .await;
    deliver_all(&db, &emu).await;
    // Small chunks: the keyset pagination crosses many chunk boundaries.
    let (out, report) = audit(&db, &["--chunk", "4"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(report["clean"], true);
    let p = table(&report, "products");
    assert_eq!(p["rows"], 25);
    assert_eq!(p["matching"], 25);

    // Resuming after a key compares only the rows after it.
    let (out, report) = audit(
        &db,
        &[
            "--table",
            "products",
            "--resume-after",
            "[\"20\"]",
            "--chunk",
            "2",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(table(&report, "products")["rows"], 5);
    let url = db.url();
    let bad = run(
        command(&[
            "audit",
            "--database-url",
            &url,
            "--resume-after",
            "[\"20\"]",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.error_lines()[0].contains("--resume-after needs exactly one --table"),
        "{}",
        bad.stderr
    );
    db.finish().await;
}

/// One column of (nearly) every type, as in tests/capture_types.rs.
const ALL_TYPES: &str = "CREATE TABLE all_types (
    id INT PRIMARY KEY,
    ti TINYINT NULL, tiu TINYINT UNSIGNED NULL, bi BIGINT NULL, bu BIGINT UNSIGNED NULL,
    dec65 DECIMAL(65,30) NULL, d2 DECIMAL(10,2) NULL,
    fl FLOAT NULL, db DOUBLE NULL,
    dt DATE NULL, tm TIME(3) NULL, dtm DATETIME NULL, dtm6 DATETIME(6) NULL,
    ts TIMESTAMP NULL DEFAULT NULL, ts3 TIMESTAMP(3) NULL DEFAULT NULL, yr YEAR NULL,
    b5 BIT(5) NULL, en ENUM('a','b','ç') NULL, st SET('x','y','z') NULL,
    ch CHAR(5) NULL, vc VARCHAR(100) NULL, tx TEXT NULL,
    lat VARCHAR(20) CHARACTER SET latin1 NULL,
    bn BINARY(4) NULL, vb VARBINARY(10) NULL, bl BLOB NULL,
    js JSON NULL,
    g GEOMETRY NULL, pt POINT NULL, mp MULTIPOINT NULL,
    gen_v BIGINT AS (ti * 2) VIRTUAL, gen_s VARCHAR(120) AS (CONCAT(vc, '!')) STORED,
    inv INT NULL INVISIBLE,
    upd TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

const ROW: &str =
    "INSERT INTO all_types (id, ti, tiu, bi, bu, dec65, d2, fl, db, dt, tm, dtm, dtm6, \
    ts, ts3, yr, b5, en, st, ch, vc, tx, lat, bn, vb, bl, js, g, pt, mp, inv) VALUES \
    ({id}, 127, 255, 9223372036854775807, 18446744073709551615, \
    99999999999999999999999999999999999.999999999999999999999999999999, 12.50, \
    0.1, 1.7976931348623157e308, '9999-12-31', '838:59:59.000', '9999-12-31 23:59:59', \
    '2026-01-02 03:04:05.123456', '2030-01-19 08:14:07', '2026-03-01 10:00:00.500', 2155, \
    b'10101', CONVERT(X'C3A7' USING utf8mb4), 'x,z', 'abc', \
    CONCAT(CONVERT(X'F09F9880' USING utf8mb4), ' smile'), \
    CONCAT('line1', CHAR(10), 'say ', CHAR(34), 'hi', CHAR(34), ' ', CHAR(92), ' done'), \
    CONVERT(X'436166E9' USING latin1), X'00FF10', X'FF', X'89504E470D0A1A0A', \
    '{\"b\": 1, \"a\": [1.50, \"x\", null, {\"k\": \"v\"}], \"c\": 16777216.0}', \
    ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(0.1 -2.5)', 4326), \
    ST_GeomFromText('MULTIPOINT(1 2,3 4)'), 7)";

#[tokio::test]
async fn every_column_type_renders_now_as_it_was_delivered() {
    let db = TestDb::new().await;
    db.exec(ALL_TYPES).await;
    db.capture(&["all_types"]).await;
    // Written from sessions in other time zones and modes than the audit's.
    let mut conn = db.pool.acquire().await.unwrap();
    sqlx::raw_sql("SET time_zone = '+05:00', NAMES latin1, sql_mode = ''")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(ROW.replace("{id}", "1")))
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql("INSERT INTO all_types (id) VALUES (2)")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn.detach());
    let mut conn = db.pool.acquire().await.unwrap();
    sqlx::raw_sql("SET time_zone = '-08:00'")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(ROW.replace("{id}", "3")))
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn.detach());
    let emu = certyo_queue::emulator::start(Default::default())
        .await
        .unwrap();
    deliver_all(&db, &emu).await;

    let (out, report) = audit(&db, &[]);
    let t = table(&report, "all_types");
    assert_eq!(out.code, 0, "{t:#}\n{}", out.stderr);
    assert_eq!(t["matching"], 3, "{t:#}");

    // One value changed behind capture's back is found, whatever its type.
    with_marker(
        &db,
        &[
            "UPDATE all_types SET bl = X'00' WHERE id = 1",
            "UPDATE all_types SET ts3 = '2026-03-01 10:00:00.501' WHERE id = 3",
        ],
    )
    .await;
    let (out, report) = audit(&db, &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        ids(&table(&report, "all_types")["altered_rows"]),
        ["1", "3"]
    );
    db.finish().await;
}

// Multi-threaded: the emulator keeps answering while the test waits for the child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prove_asks_certyo_about_the_current_content() {
    let db = TestDb::with_products().await;
    db.insert_products(6).await;
    db.exec("CREATE TABLE products_backup AS SELECT * FROM products WHERE id = 2")
        .await;
    let emu = certyo_queue::emulator::start(certyo_queue::emulator::EmulatorConfig {
        anchor_delay: Duration::ZERO,
        ..Default::default()
    })
    .await
    .unwrap();
    deliver_all(&db, &emu).await;
    // 2: restored whole, tracking columns included, after a newer version was
    // anchored: its content matches its (restored) digest, but Certyo holds the newer.
    db.exec("CREATE TABLE products_v1 AS SELECT * FROM products WHERE id = 2")
        .await;
    db.exec("UPDATE products SET name = 'v2' WHERE id = 2")
        .await;
    deliver_all(&db, &emu).await;
    with_marker(
        &db,
        &[
            "DELETE FROM products WHERE id = 2",
            "INSERT INTO products SELECT * FROM products_v1",
            "UPDATE products SET name = 'altered' WHERE id = 4",
        ],
    )
    .await;

    let url = db.url();
    let api = [
        "--base-url",
        &emu.url(),
        "--api-key",
        certyo_queue::emulator::DEFAULT_API_KEY,
        "--tenant-id",
        certyo_queue::emulator::DEFAULT_TENANT_ID,
        "--certyo-database",
        &db.name,
    ];
    // The local pass alone sees only row 4.
    let (out, report) = audit(&db, &["--local"]);
    assert_eq!(out.code, 2);
    assert_eq!(ids(&table(&report, "products")["altered_rows"]), ["4"]);

    // With Certyo settings the suspect is confirmed; --prove all also finds row 2.
    let mut args = api.to_vec();
    args.extend(["--prove", "all"]);
    let (out, report) = audit(&db, &args);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let p = table(&report, "products");
    assert_eq!(ids(&p["altered_rows"]), ["2", "4"], "{p:#}");
    assert_eq!(p["proof"]["asked"], 6, "{p:#}");
    assert_eq!(p["proof"]["differs"], 2, "{p:#}");
    assert_eq!(p["proof"]["anchored"], 4, "{p:#}");
    for row in p["altered_rows"].as_array().unwrap() {
        assert!(
            row["proof"]
                .as_str()
                .unwrap()
                .contains("not the version Certyo holds"),
            "{row}"
        );
    }

    // --prove without Certyo settings is an error naming what is missing.
    let out = run(
        command(&["audit", "--database-url", &url, "--prove", "3"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 1);
    assert!(
        out.error_lines()
            .iter()
            .any(|l| l.contains("CERTYO_API_KEY") || l.contains("api-key")),
        "{}",
        out.stderr
    );
    db.finish().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn an_interrupted_audit_stops_after_its_chunk_and_says_how_to_go_on() {
    let db = TestDb::with_products().await;
    db.insert_products(3000).await;
    let url = db.url();
    let dir = common::process::scratch_dir("audit-interrupt");
    let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = command(&[
        "audit",
        "--database-url",
        &url,
        "--table",
        "products",
        "--json",
        "--chunk",
        "1",
    ])
    .stdout(std::fs::File::create(&out_path).unwrap())
    .stderr(std::fs::File::create(&err_path).unwrap())
    .spawn()
    .unwrap();
    wait_until(Duration::from_secs(60), "a progress line", || async {
        std::fs::read_to_string(&err_path)
            .unwrap_or_default()
            .contains("audit.progress")
    })
    .await;
    assert!(child.try_wait().unwrap().is_none(), "audit ended too soon");
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap();
    assert_eq!(status.code(), Some(130), "{stdout}");
    let first: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(first["interrupted"], true);
    let done = first["tables"][0]["rows"].as_u64().unwrap();
    assert!(done > 0 && done < 3000, "{first:#}");
    let after = first["resume"]["after"].as_str().unwrap().to_string();
    assert_eq!(
        after,
        format!("[\"{done}\"]"),
        "keys 1..=done were compared"
    );

    let (out, rest) = audit(&db, &["--table", "products", "--resume-after", &after]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        done + rest["tables"][0]["rows"].as_u64().unwrap(),
        3000,
        "every row compared once"
    );
    let _ = std::fs::remove_dir_all(&dir);
    db.finish().await;
}

/// A user with exactly `grants` (`{db}`, `{user}` filled in), for both host spellings.
async fn user_with(db: &TestDb, name: &str, grants: &[&str]) -> String {
    let password = format!("pw{}", fastrand::u64(..));
    for host in ["127.0.0.1", "localhost"] {
        let user = format!("'{name}'@'{host}'");
        db.exec(&format!("DROP USER IF EXISTS {user}")).await;
        db.exec(&format!("CREATE USER {user} IDENTIFIED BY '{password}'"))
            .await;
        for grant in grants {
            db.exec(&grant.replace("{db}", &db.name).replace("{user}", &user))
                .await;
        }
    }
    let server = reqwest::Url::parse(&common::server_url()).unwrap();
    format!(
        "mysql://{name}:{password}@{}:{}/{}",
        server.host_str().unwrap(),
        server.port().unwrap_or(3306),
        db.name
    )
}

async fn drop_user(db: &TestDb, name: &str) {
    for host in ["127.0.0.1", "localhost"] {
        db.exec(&format!("DROP USER IF EXISTS '{name}'@'{host}'"))
            .await;
    }
}

#[tokio::test]
async fn audit_and_mark_run_with_the_documented_grants_only() {
    let db = TestDb::with_products().await;
    db.insert_products(5).await;
    let emu = certyo_queue::emulator::start(Default::default())
        .await
        .unwrap();
    deliver_all(&db, &emu).await;
    with_marker(&db, &["UPDATE products SET name = 'x' WHERE id = 2"]).await;
    let read = [
        "GRANT SELECT ON `{db}`.`certyo_capture` TO {user}",
        "GRANT SELECT ON `{db}`.`certyo_queue` TO {user}",
        "GRANT SELECT, UPDATE ON `{db}`.`products` TO {user}",
    ];
    let name = format!("cq_audit_{}", fastrand::u32(..));
    let mut grants = read.to_vec();
    grants.push("GRANT SELECT ON `{db}`.`certyo_capture_digest` TO {user}");
    let url = user_with(&db, &name, &grants).await;
    let out = run(
        command(&["audit", "--database-url", &url, "--json", "--mark"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(ids(&table(&report, "products")["altered_rows"]), ["2"]);
    assert_eq!(table(&report, "products")["marked"], 1);

    // Without the rendering options the audit refuses instead of guessing.
    let other = format!("{name}_n");
    let url = user_with(&db, &other, &read).await;
    let out = run(
        command(&["audit", "--database-url", &url]),
        Duration::from_secs(60),
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.error_lines()
            .iter()
            .any(|l| l.contains("SELECT on `certyo_capture_digest`")),
        "{}",
        out.stderr
    );
    drop_user(&db, &name).await;
    drop_user(&db, &other).await;
    db.finish().await;
}
