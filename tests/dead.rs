//! `certyo-queue dead list | requeue | purge`: through the binary, against a real
//! database; a requeued dead letter is delivered by a running worker under its own
//! idempotency key.
mod common;

use std::time::Duration;

use certyo_queue::emulator::{self, EmulatorConfig};
use common::process::{command, run, Output as Run};
use common::{api_config, wait_until, worker_config, RunningWorker, TestDb};
use serde_json::Value;

fn dead(db: &TestDb, args: &[&str]) -> Run {
    let url = db.url();
    let mut all = vec!["dead", args[0], "--database-url", &url];
    all.extend_from_slice(&args[1..]);
    run(command(&all), Duration::from_secs(60))
}

async fn ids(db: &TestDb, filter: &str) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM certyo_queue WHERE {filter} ORDER BY id"
    )))
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

/// Make queue row `id` a dead letter that died `ago` (SQL interval) ago.
async fn bury(db: &TestDb, id: i64, ago: &str, error: &str) {
    db.exec(&format!(
        "UPDATE certyo_queue SET dead_at = NOW(6) - INTERVAL {ago}, available_at = NULL, \
         attempts = 20, last_error = '{error}' WHERE id = {id}"
    ))
    .await;
}

#[tokio::test]
async fn list_shows_the_newest_first_clipped_in_text_and_whole_in_json() {
    let db = TestDb::with_products().await;
    db.insert_products(4).await;
    let q = ids(&db, "TRUE").await;
    let long = format!("HTTP 400: {}", "x".repeat(200));
    bury(&db, q[0], "3 HOUR", "oldest").await;
    bury(&db, q[1], "1 HOUR", &long).await;
    bury(&db, q[2], "2 HOUR", "middle").await;

    let r = dead(&db, &["list", "--limit", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "header and two rows:\n{}", r.stdout);
    assert!(lines[0].contains("last_error"), "{}", lines[0]);
    assert!(
        lines[1].trim_start().starts_with(&q[1].to_string()),
        "newest first: {}",
        r.stdout
    );
    assert!(
        lines[1].contains("products") && lines[1].contains("insert"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains('…') && !lines[1].contains(&long),
        "clipped: {}",
        lines[1]
    );
    assert!(lines[2].contains("middle"), "{}", r.stdout);

    let r = dead(&db, &["list", "--json"]);
    assert_eq!(r.code, 0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["count"], 3);
    let first = &v["dead_letters"][0];
    assert_eq!(first["id"], q[1]);
    assert_eq!(first["table"], "products");
    assert_eq!(first["record_id"], "2");
    assert_eq!(first["op"], "insert");
    assert_eq!(first["attempts"], 20);
    assert_eq!(first["last_error"], long.as_str());
    assert!(first["dead_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["dead_letters"][2]["last_error"], "oldest");

    assert_eq!(dead(&db, &["list"]).code, 0);
    db.finish().await;
}

#[tokio::test]
async fn requeued_dead_letters_are_delivered_under_their_own_idempotency_key() {
    let db = TestDb::with_products().await;
    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.set_outage(true);
    db.insert_products(3).await;
    let mut cfg = worker_config(1);
    cfg.max_attempts = 2;
    let w = RunningWorker::start(&db, api_config(&emu.url(), &db.name), None, cfg.clone());
    wait_until(Duration::from_secs(20), "rows dead", || async {
        db.dead().await == 3
    })
    .await;
    let dead_ids = ids(&db, "dead_at IS NOT NULL").await;
    emu.set_outage(false);

    // One by id (plus an id that is no dead letter), then the rest.
    let unknown = dead_ids[2] + 1000;
    let r = dead(
        &db,
        &[
            "requeue",
            "--id",
            &dead_ids[0].to_string(),
            "--id",
            &unknown.to_string(),
        ],
    );
    assert_eq!(
        r.code, 2,
        "an id that is not dead is refused: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("requeued 1 dead letter"), "{}", r.stdout);
    assert!(r.stderr.contains(&unknown.to_string()), "{}", r.stderr);
    wait_until(
        Duration::from_secs(20),
        "the requeued row delivered",
        || async { db.dead().await == 2 && db.pending().await == 0 },
    )
    .await;

    let r = dead(&db, &["requeue", "--all"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("requeued 2 dead letter"), "{}", r.stdout);
    wait_until(
        Duration::from_secs(20),
        "all requeued rows delivered",
        || async { db.dead().await == 0 && db.pending().await == 0 },
    )
    .await;
    assert!(w.stop().await);

    assert_eq!(
        ids(&db, "processed = 1").await,
        dead_ids,
        "same rows, same ids"
    );
    let keys: std::collections::HashSet<String> =
        dead_ids.iter().map(|id| format!("queue-{id}")).collect();
    let seen = emu.inspect();
    assert_eq!(seen.keys_received(), keys, "each under its queue-<id> key");
    assert_eq!(seen.totals.records_accepted, 3);

    let r = dead(&db, &["requeue", "--id", &dead_ids[0].to_string()]);
    assert_eq!(r.code, 2, "a delivered row is not requeued");
    assert!(r.stdout.contains("requeued 0"), "{}", r.stdout);
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn purge_deletes_only_dead_letters_older_than_asked() {
    let db = TestDb::with_products().await;
    db.insert_products(4).await;
    let q = ids(&db, "TRUE").await;
    bury(&db, q[0], "10 DAY", "a").await;
    bury(&db, q[1], "8 DAY", "b").await;
    bury(&db, q[2], "1 DAY", "c").await;

    let r = dead(&db, &["purge", "--older-than", "7d"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("purged 2 dead letter"), "{}", r.stdout);
    assert_eq!(
        ids(&db, "TRUE").await,
        vec![q[2], q[3]],
        "the young dead letter and the pending row stay"
    );
    assert_eq!(db.pending().await, 1);

    let r = dead(&db, &["purge", "--older-than", "soon"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("not a duration"), "{}", r.stderr);
    db.finish().await;
}

#[tokio::test]
async fn requeue_all_and_purge_go_through_thousands_in_chunks() {
    let db = TestDb::with_products().await;
    db.insert_products(2500).await;
    db.exec("UPDATE certyo_queue SET dead_at = NOW(6) - INTERVAL 1 DAY, available_at = NULL, attempts = 20")
        .await;

    let r = dead(&db, &["requeue", "--all"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("requeued 2500 dead letter"),
        "{}",
        r.stdout
    );
    assert_eq!(db.pending().await, 2500);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE attempts = 0 AND available_at <= NOW(6) AND lease_owner IS NULL").await,
        2500,
        "claimable at once with a fresh attempt budget"
    );

    db.exec("UPDATE certyo_queue SET dead_at = NOW(6) - INTERVAL 1 DAY, available_at = NULL")
        .await;
    let r = dead(&db, &["purge", "--older-than", "1h"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("purged 2500 dead letter"), "{}", r.stdout);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 0);
    db.finish().await;
}
