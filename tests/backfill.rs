//! `certyo-queue backfill`: every existing row of a captured table enqueued once as an
//! `upsert`, chunk by chunk, resumable after an interruption, refused for tables that
//! are not captured; the worker then delivers the rows.
mod common;

use std::collections::HashSet;
use std::time::Duration;

use certyo_queue::emulator::{self, EmulatorConfig};
use certyo_queue::ops::backfill::{self, BackfillConfig, BackfillEnd};
use common::process::{command, run, Output as Run};
use common::{api_config, wait_until, worker_config, RunningWorker, TestDb, PRODUCTS_DDL};
use tokio_util::sync::CancellationToken;

fn backfill_bin(db: &TestDb, args: &[&str]) -> Run {
    let url = db.url();
    let mut all = vec!["backfill", "--database-url", &url];
    all.extend_from_slice(args);
    run(command(&all), Duration::from_secs(120))
}

async fn backfill_lib(db: &TestDb, table: &str, cfg: BackfillConfig) -> backfill::BackfillReport {
    backfill::run(
        &db.pool,
        &db.name,
        table,
        &cfg,
        &CancellationToken::new(),
        &mut |_| {},
    )
    .await
    .expect("backfill")
}

async fn record_ids(db: &TestDb, table: &str) -> Vec<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(record_id AS CHAR) FROM certyo_queue WHERE table_name = '{table}' ORDER BY id"
    )))
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_large_table_is_backfilled_once_resumably_and_delivered_as_upserts() {
    let db = TestDb::empty().await;
    db.exec(&PRODUCTS_DDL).await;
    db.insert_products(20_000).await; // history written before capture
    db.capture(&["products"]).await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 0);

    // Interrupted after two chunks.
    let r = backfill_lib(
        &db,
        "products",
        BackfillConfig {
            batch: 5000,
            max_chunks: Some(2),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(r.outcome, BackfillEnd::Interrupted);
    assert_eq!(r.enqueued_now, 10_000);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 10_000);

    // Resumed by the command, to the end.
    let run = backfill_bin(&db, &["--table", "products", "--batch", "5000"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("complete; 20000 rows enqueued as upsert events (10000 by this run"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("backfill.progress"),
        "progress lines in logs when not on a terminal: {}",
        run.stderr
    );
    let ids = record_ids(&db, "products").await;
    assert_eq!(ids.len(), 20_000);
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 20_000, "each row enqueued exactly once");
    assert!(distinct.contains(&"1".to_string()) && distinct.contains(&"20000".to_string()));
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE op_type = 'upsert'")
            .await,
        20_000
    );

    // The payload is the triggers' payload: business columns only.
    let payload: serde_json::Value = serde_json::from_str(
        &sqlx::query_scalar::<_, String>(
            "SELECT CAST(payload AS CHAR) FROM certyo_queue WHERE record_id = '5'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["id"], 5);
    assert_eq!(payload["sku"], "SKU-4");
    assert_eq!(payload["price"].as_f64(), Some(4.5));
    let keys: HashSet<&str> = payload
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let expected: HashSet<&str> = [
        "id",
        "sku",
        "name",
        "category",
        "price",
        "batch_number",
        "manufactured_at",
        "updated_at",
    ]
    .into();
    assert_eq!(keys, expected);

    // A finished backfill is not repeated.
    let again = backfill_bin(&db, &["--table", "products"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("already complete"),
        "{}",
        again.stdout
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 20_000);

    // The worker delivers every row as an upsert.
    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(4),
    );
    wait_until(Duration::from_secs(180), "backfill delivered", || async {
        db.pending().await == 0
    })
    .await;
    assert!(w.stop().await);
    let seen = emu.inspect();
    assert_eq!(seen.records.len(), 20_000);
    assert!(seen.records.iter().all(|r| r.collection == "products"
        && r.versions.len() == 1
        && r.versions[0].operation_type == "upsert"));
    assert_eq!(seen.keys_received(), db.queue_keys().await);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending'")
            .await,
        20_000,
        "written back like any delivered change"
    );
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn composite_keys_are_paged_over_the_full_key_and_restart_enqueues_again() {
    let db = TestDb::empty().await;
    db.exec("CREATE TABLE stock (region VARCHAR(8) NOT NULL, id INT NOT NULL, qty INT, PRIMARY KEY (region, id))").await;
    let mut values = Vec::new();
    for region in ["a", "b", "c"] {
        for id in 1..=7 {
            values.push(format!("('{region}', {id}, {})", id * 10));
        }
    }
    db.exec(&format!("INSERT INTO stock VALUES {}", values.join(",")))
        .await;
    db.capture(&["stock"]).await;

    let cfg = |max_chunks| BackfillConfig {
        batch: 4,
        max_chunks,
        restart: false,
    };
    let first = backfill_lib(&db, "stock", cfg(Some(3))).await;
    assert_eq!(first.outcome, BackfillEnd::Interrupted);
    assert_eq!(first.enqueued_now, 12);
    let rest = backfill_lib(&db, "stock", cfg(None)).await;
    assert_eq!(rest.outcome, BackfillEnd::Complete);
    assert_eq!(rest.enqueued_now, 9);
    assert_eq!(rest.enqueued_total, 21);

    // Same record_id form as the triggers write: a JSON array in key order.
    db.exec("INSERT INTO stock (region, id, qty) VALUES ('d', 1, 5)")
        .await;
    let ids = record_ids(&db, "stock").await;
    let mut expected: Vec<String> = Vec::new();
    for region in ["a", "b", "c", "d"] {
        for id in 1..=7 {
            if region != "d" || id == 1 {
                expected.push(format!("[\"{region}\", {id}]"));
            }
        }
    }
    assert_eq!(
        ids, expected,
        "each row once, in key order, then the trigger's own"
    );

    let restarted = backfill_lib(
        &db,
        "stock",
        BackfillConfig {
            restart: true,
            ..cfg(None)
        },
    )
    .await;
    assert_eq!(restarted.outcome, BackfillEnd::Complete);
    assert_eq!(
        restarted.enqueued_now, 22,
        "--restart enqueues every row again"
    );
    db.finish().await;
}

#[tokio::test]
async fn big_integer_keys_are_compared_exactly() {
    let db = TestDb::empty().await;
    db.exec("CREATE TABLE ledger (id BIGINT UNSIGNED PRIMARY KEY, v INT)")
        .await;
    // Beyond 2^53 a key compared as a double would repeat or skip rows.
    db.exec("INSERT INTO ledger VALUES (9007199254740992, 1), (9007199254740993, 2), (9007199254740994, 3), (18446744073709551615, 4)").await;
    db.capture(&["ledger"]).await;
    let r = backfill_lib(
        &db,
        "ledger",
        BackfillConfig {
            batch: 1,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(r.outcome, BackfillEnd::Complete);
    assert_eq!(
        record_ids(&db, "ledger").await,
        [
            "9007199254740992",
            "9007199254740993",
            "9007199254740994",
            "18446744073709551615"
        ]
    );
    db.finish().await;
}

#[tokio::test]
async fn tables_that_are_not_captured_or_have_drifted_are_refused() {
    let db = TestDb::with_products().await;
    db.exec("CREATE TABLE orders (id INT PRIMARY KEY)").await;

    for (table, needle) in [
        ("orders", "`orders` is not captured"),
        ("nope", "`nope` does not exist"),
    ] {
        let r = backfill_bin(&db, &["--table", table]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        let errors: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{}", r.stderr);
        assert!(errors[0].contains(needle), "{}", r.stderr);
    }

    db.exec("ALTER TABLE products ADD COLUMN color VARCHAR(20) NULL")
        .await;
    let r = backfill_bin(&db, &["--table", "products"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("outdated"), "{}", r.stderr);
    assert!(
        r.stderr.contains("migrate --table products"),
        "{}",
        r.stderr
    );

    let r = backfill_bin(&db, &["--table", "products", "--batch", "0"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--batch"), "{}", r.stderr);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 0);
    db.finish().await;
}

/// The newest `name` queued for record `id` (the payload of its highest queue id).
async fn last_queued_name(db: &TestDb, id: i64) -> (String, String) {
    sqlx::query_as(
        "SELECT op_type, COALESCE(JSON_UNQUOTE(JSON_EXTRACT(payload, '$.name')), '') \
         FROM certyo_queue WHERE record_id = CAST(? AS CHAR) ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn rows_held_by_application_transactions_are_enqueued_after_them_newest_version_last() {
    let db = TestDb::empty().await;
    db.exec(&PRODUCTS_DDL).await;
    db.insert_products(50).await;
    db.capture(&["products"]).await;

    // Three application transactions hold rows while the backfill runs: one updates
    // row 5 (its trigger has queued the new version, uncommitted), one only locks row 7
    // and rolls back, one deletes row 9.
    let mut updater = db.pool.begin().await.unwrap();
    sqlx::query("UPDATE products SET name = 'newest' WHERE id = 5")
        .execute(&mut *updater)
        .await
        .unwrap();
    let mut locker = db.pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM products WHERE id = 7 FOR UPDATE")
        .fetch_all(&mut *locker)
        .await
        .unwrap();
    let mut deleter = db.pool.begin().await.unwrap();
    sqlx::query("DELETE FROM products WHERE id = 9")
        .execute(&mut *deleter)
        .await
        .unwrap();

    let pool = db.pool.clone();
    let schema = db.name.clone();
    let backfill = tokio::spawn(async move {
        let cfg = BackfillConfig {
            batch: 100,
            ..Default::default()
        };
        backfill::run(
            &pool,
            &schema,
            "products",
            &cfg,
            &CancellationToken::new(),
            &mut |_| {},
        )
        .await
    });
    // The rows nobody holds are enqueued at once; the backfill then waits for the rest.
    let upserts = "SELECT COUNT(*) FROM certyo_queue WHERE op_type = 'upsert'";
    wait_until(Duration::from_secs(30), "47 free rows enqueued", || async {
        db.scalar(upserts).await >= 47
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(db.scalar(upserts).await, 47, "only the free rows so far");
    assert!(
        !backfill.is_finished(),
        "the backfill must wait for the held rows, not enqueue the versions it could read"
    );

    // The application's statements all succeed (no deadlock, no lock-wait error).
    updater.commit().await.unwrap();
    locker.rollback().await.unwrap();
    deleter.commit().await.unwrap();
    let report = tokio::time::timeout(Duration::from_secs(30), backfill)
        .await
        .expect("the backfill ends once the rows are free")
        .unwrap()
        .expect("backfill");
    assert_eq!(report.outcome, BackfillEnd::Complete);
    assert_eq!(report.enqueued_total, 49, "every row still there, once");

    // Every record's last event is its current version.
    assert_eq!(
        last_queued_name(&db, 5).await,
        ("upsert".to_string(), "newest".to_string()),
        "the updated row's newest version is queued after its update event"
    );
    assert_eq!(
        last_queued_name(&db, 7).await.1,
        "p6",
        "the locked row is enqueued"
    );
    assert_eq!(
        last_queued_name(&db, 9).await.0,
        "delete",
        "a row deleted meanwhile ends with its delete"
    );
    for id in [1, 6, 8, 50] {
        assert_eq!(
            last_queued_name(&db, id).await,
            ("upsert".to_string(), format!("p{}", id - 1))
        );
    }
}
