//! Cleanup removes exactly the queue rows past their retention, chunk by chunk, and
//! nothing that is still to be delivered.
mod common;

use std::process::Command;
use std::time::Duration;

use certyo_queue::tasks::{Cleaner, CleanupConfig};
use common::TestDb;
use tokio_util::sync::CancellationToken;

/// Insert `n` queue rows; `state` is the SET list that puts them in their state.
async fn rows(db: &TestDb, n: usize, label: &str, state: &str) {
    for i in 0..n {
        db.exec(&format!(
            "INSERT INTO certyo_queue SET table_name = '{label}', record_id = '{i}', \
             op_type = 'upsert', payload = '{{}}', {state}"
        ))
        .await;
    }
}

async fn count(db: &TestDb, label: &str) -> i64 {
    db.scalar(&format!(
        "SELECT COUNT(*) FROM certyo_queue WHERE table_name = '{label}'"
    ))
    .await
}

async fn fill(db: &TestDb) {
    let old = "created_at = NOW(6) - INTERVAL 3 DAY";
    // Delivered as `complete` leaves them (available_at = delivery time), and as a
    // version before V11 left them (available_at NULL): cleanup finds both.
    rows(
        db,
        20,
        "delivered_old",
        &format!(
            "{old}, processed = 1, available_at = NOW(6) - INTERVAL 2 DAY, delivered_at = NOW(6) - INTERVAL 2 DAY"
        ),
    )
    .await;
    rows(
        db,
        5,
        "legacy_old",
        &format!(
            "{old}, processed = 1, available_at = NULL, delivered_at = NOW(6) - INTERVAL 2 DAY"
        ),
    )
    .await;
    rows(
        db,
        3,
        "delivered_young",
        "processed = 1, available_at = NOW(6) - INTERVAL 1 HOUR, delivered_at = NOW(6) - INTERVAL 1 HOUR",
    )
    .await;
    rows(
        db,
        2,
        "legacy_young",
        "processed = 1, available_at = NULL, delivered_at = NOW(6) - INTERVAL 1 HOUR",
    )
    .await;
    rows(
        db,
        5,
        "pending_old",
        &format!("{old}, available_at = NOW(6) - INTERVAL 3 DAY"),
    )
    .await;
    rows(
        db,
        3,
        "leased_old",
        &format!("{old}, lease_owner = 'worker-1', attempts = 4, available_at = NOW(6) + INTERVAL 1 MINUTE"),
    )
    .await;
    rows(
        db,
        4,
        "dead_old",
        &format!("{old}, available_at = NULL, dead_at = NOW(6) - INTERVAL 8 DAY, last_error = 'x'"),
    )
    .await;
    rows(
        db,
        2,
        "dead_young",
        &format!("{old}, available_at = NULL, dead_at = NOW(6) - INTERVAL 1 DAY, last_error = 'x'"),
    )
    .await;
}

#[tokio::test]
async fn cleanup_deletes_only_delivered_and_dead_rows_past_retention_in_chunks() {
    let db = TestDb::new().await;
    fill(&db).await;
    let cleaner = Cleaner::new(
        db.pool.clone(),
        CleanupConfig {
            chunk_size: 10,
            chunk_pause: Duration::from_millis(1),
            ..CleanupConfig::default() // 24 h retention, 7 days for dead letters
        },
    )
    .unwrap();

    let report = cleaner.run_once(&CancellationToken::new()).await.unwrap();

    assert_eq!(report.delivered_deleted, 25);
    assert_eq!(report.dead_deleted, 4);
    assert!(
        report.chunks >= 4,
        "25 rows in chunks of 10 plus the dead letters: {report:?}"
    );
    assert_eq!(count(&db, "delivered_old").await, 0);
    assert_eq!(count(&db, "legacy_old").await, 0);
    assert_eq!(count(&db, "delivered_young").await, 3);
    assert_eq!(count(&db, "legacy_young").await, 2);
    assert_eq!(count(&db, "pending_old").await, 5);
    assert_eq!(count(&db, "leased_old").await, 3);
    assert_eq!(count(&db, "dead_old").await, 0);
    assert_eq!(count(&db, "dead_young").await, 2);

    let again = cleaner.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!((again.delivered_deleted, again.dead_deleted), (0, 0));
    db.finish().await;
}

#[tokio::test]
async fn shorter_retention_reaches_younger_rows_but_never_undelivered_ones() {
    let db = TestDb::new().await;
    fill(&db).await;
    let cleaner = Cleaner::new(
        db.pool.clone(),
        CleanupConfig {
            retention: Duration::from_secs(60),
            dead_retention: Duration::from_secs(3600),
            chunk_size: 7,
            chunk_pause: Duration::from_millis(1),
        },
    )
    .unwrap();
    let report = cleaner.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!(report.delivered_deleted, 30);
    assert_eq!(report.dead_deleted, 6);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        8,
        "the 5 pending and 3 leased rows stay"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND dead_at IS NULL")
            .await,
        8
    );
    db.finish().await;
}

#[tokio::test]
async fn cleanup_command_prints_what_it_removed_and_defers_to_a_running_leader() {
    let db = TestDb::new().await;
    fill(&db).await;
    let run = || {
        Command::new(common::bin())
            .args(["cleanup", "--database-url", &db.url()])
            .output()
            .unwrap()
    };

    // Another session holds the cleanup lock: the command does nothing and says so.
    let mut holder = db.pool.acquire().await.unwrap();
    let lock = certyo_queue::leader::lock_name(&db.name, "cleanup");
    let got: i64 = sqlx::query_scalar("SELECT CAST(GET_LOCK(?, 0) AS SIGNED)")
        .bind(&lock)
        .fetch_one(&mut *holder)
        .await
        .unwrap();
    assert_eq!(got, 1);
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("another process holds the lock"),
        "{stdout}"
    );
    assert_eq!(count(&db, "delivered_old").await, 20);

    sqlx::query("SELECT RELEASE_LOCK(?)")
        .bind(&lock)
        .execute(&mut *holder)
        .await
        .unwrap();
    drop(holder);
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("removed 25 delivered and 4 dead queue rows"),
        "{stdout}"
    );
    assert_eq!(count(&db, "delivered_old").await, 0);
    assert_eq!(count(&db, "pending_old").await, 5);
    db.finish().await;
}
