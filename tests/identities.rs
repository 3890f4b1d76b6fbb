//! Exact identities: queue `table_name`/`record_id` compare byte for byte, so two
//! records of a case-sensitive key that differ only by case are two records (each
//! delivered, ordered and written back on its own); captured tables are found under
//! `NO_BACKSLASH_ESCAPES`.
mod common;

use std::time::Duration;

use certyo_queue::emulator::{self, EmulatorConfig};
use common::process::Worker;
use common::{wait_until, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_that_differ_only_by_case_are_two_records() {
    let db = TestDb::empty().await;
    db.exec(
        "CREATE TABLE codes (code VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY, \
         label VARCHAR(20) NOT NULL)",
    )
    .await;
    db.capture(&["codes"]).await;
    db.exec("INSERT INTO codes (code, label) VALUES ('A-1', 'upper'), ('a-1', 'lower'), ('Ä-1', 'umlaut')")
        .await;
    db.exec("UPDATE codes SET label = CONCAT(label, '!')").await;
    assert_eq!(
        db.scalar("SELECT COUNT(DISTINCT record_id) FROM certyo_queue")
            .await,
        3,
        "three records in the queue"
    );

    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    let mut w = Worker::spawn("case", &db.url(), &emu.url(), &["--concurrency", "2"]);
    wait_until(
        Duration::from_secs(30),
        "every version delivered and written back",
        || async {
            db.pending().await == 0
                && db
                    .scalar("SELECT COUNT(*) FROM codes WHERE certyo_anchor_status = 'Pending'")
                    .await
                    == 3
        },
    )
    .await;
    // Each row carries the hash of its own record's latest version.
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT CAST(code AS CHAR), CAST(certyo_record_hash AS CHAR) FROM codes ORDER BY code",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let hashes: std::collections::HashSet<_> = rows.iter().map(|(_, h)| h.clone()).collect();
    assert_eq!(hashes.len(), 3, "three different hashes: {rows:?}");
    assert!(rows.iter().all(|(_, h)| h.is_some()), "{rows:?}");
    let received = emu.inspect().keys_received();
    assert_eq!(received.len(), 6, "two versions of each of three records");
    assert_eq!(db.dead().await, 0, "{}", w.stderr());
    w.term();
    assert!(w.wait_exit(Duration::from_secs(30)).await.success());
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn migrate_and_status_find_our_triggers_under_no_backslash_escapes() {
    let db = TestDb::with_products().await;
    // A server-wide sql_mode with NO_BACKSLASH_ESCAPES would reach every session; the
    // same holds for one session, which is what migrate's connection gets here.
    let mut conn = db.pool.acquire().await.unwrap();
    sqlx::raw_sql("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")
        .execute(&mut *conn)
        .await
        .unwrap();
    let found = certyo_queue::capture::existing_triggers(&mut conn, &db.name)
        .await
        .unwrap();
    assert_eq!(found.len(), 4, "{found:?}");
    let report = certyo_queue::migrate::run_on(
        &mut conn,
        &certyo_queue::migrate::MigratePlan {
            tables: vec!["products".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!report.changed(), "a second migrate is a no-op: {report:?}");
    sqlx::raw_sql("SET SESSION sql_mode = DEFAULT")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    db.finish().await;
}

/// With `lower_case_table_names = 1` the server stores `Products` as `products` and
/// treats both names as one table; `migrate --table Products` captures it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_names_follow_lower_case_table_names() {
    use certyo_queue::config::DbConfig;
    use common::throwaway_mariadb::{Options, ThrowawayMariaDb};

    let server = tokio::task::spawn_blocking(|| {
        ThrowawayMariaDb::start(Options {
            extra_args: vec!["--lower-case-table-names=1".into()],
            ..Options::default()
        })
    })
    .await
    .unwrap();
    let admin = certyo_queue::db::connect(&DbConfig::parse(&server.url("mysql", "")).unwrap(), 1)
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE DATABASE shop; CREATE TABLE shop.Products (id INT PRIMARY KEY, name VARCHAR(20))",
    )
    .execute(&admin)
    .await
    .unwrap();
    let pool = certyo_queue::db::connect(&DbConfig::parse(&server.url("shop", "")).unwrap(), 2)
        .await
        .unwrap();
    let report = certyo_queue::migrate::run(
        &pool,
        &certyo_queue::migrate::MigratePlan {
            tables: vec!["Products".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("migrate --table Products: {e}"));
    assert_eq!(report.tables.len(), 1, "{report:?}");
    sqlx::query("INSERT INTO Products (id, name) VALUES (1, 'a')")
        .execute(&pool)
        .await
        .unwrap();
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM certyo_queue")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(queued, 1, "the insert was captured");
    pool.close().await;
    admin.close().await;
    server.stop();
}
