//! `work` end to end: a real MariaDB, capture triggers, the worker pool in-process and
//! the emulator over real HTTP.
mod common;

use std::time::Duration;

use certyo_queue::cli::BulkResponseMode;
use certyo_queue::emulator::{self, canonical_hash, EmulatorConfig, EmulatorHandle};
use common::{api_config, wait_until, worker_config, RunningWorker, TestDb};

async fn emulator(cfg: EmulatorConfig) -> EmulatorHandle {
    emulator::start(cfg).await.expect("emulator starts")
}

async fn drained(db: &TestDb, within: Duration) {
    wait_until(within, "queue drained", || async {
        db.pending().await == 0
    })
    .await;
}

#[tokio::test]
async fn inserts_updates_and_deletes_arrive_with_the_guide_mapping_and_are_written_back() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    db.insert_products(3).await;
    db.exec("UPDATE products SET price = 99.99 WHERE sku = 'SKU-1'")
        .await;
    db.exec("DELETE FROM products WHERE sku = 'SKU-2'").await;
    assert_eq!(db.pending().await, 5);

    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(2),
    );
    drained(&db, Duration::from_secs(20)).await;
    assert!(w.stop().await);

    let seen = emu.inspect();
    assert_eq!(
        seen.keys_received(),
        db.queue_keys().await,
        "every queue row arrived under its queue-{{id}} key"
    );
    let p1 = seen
        .record("products", "2")
        .expect("record 2 (SKU-1) arrived");
    assert_eq!(p1.database, db.name);
    assert_eq!(p1.tenant_id, "tenant-emulator");
    let ops: Vec<&str> = p1
        .versions
        .iter()
        .map(|v| v.operation_type.as_str())
        .collect();
    assert_eq!(ops, ["insert", "update"]);
    let latest = p1.latest().unwrap();
    assert_eq!(latest.payload["sku"], "SKU-1");
    assert_eq!(latest.payload["price"].as_f64(), Some(99.99));
    assert!(
        latest.payload.get("certyo_anchor_status").is_none(),
        "tracking columns are not business data"
    );
    assert!(
        latest
            .source_timestamp
            .as_deref()
            .is_some_and(|t| t.ends_with('Z')),
        "ISO 8601 UTC"
    );
    let deleted = seen.record("products", "3").expect("record 3 arrived");
    assert_eq!(deleted.latest().unwrap().operation_type, "delete");

    // Write-back: status and the API's hash on the surviving rows, no new queue rows.
    let (status, hash): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT certyo_anchor_status, certyo_record_hash FROM products WHERE id = 2",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(status.as_deref(), Some("Pending"));
    assert_eq!(
        hash.as_deref(),
        Some(canonical_hash(&latest.payload).as_str())
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_ingested_at IS NOT NULL")
            .await,
        2
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        5,
        "write-back enqueued changes"
    );
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM certyo_queue WHERE processed = 1 AND delivered_at IS NOT NULL"
        )
        .await,
        5
    );
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn a_large_backlog_goes_out_in_bulk_calls_and_each_record_stays_in_order() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    db.insert_products(2000).await;
    // A hot record: 30 versions that must arrive in queue order, one at a time.
    for i in 0..30 {
        db.exec(&format!("UPDATE products SET price = {i} WHERE id = 7"))
            .await;
    }
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(8),
    );
    drained(&db, Duration::from_secs(60)).await;
    w.stop().await;

    let seen = emu.inspect();
    assert_eq!(seen.keys_received(), db.queue_keys().await);
    assert_eq!(
        seen.max_in_flight_overall(),
        1,
        "two requests for one record were in flight at once"
    );
    let hot = seen.record("products", "7").unwrap();
    let ids: Vec<i64> = hot
        .keys()
        .iter()
        .map(|k| k.trim_start_matches("queue-").parse().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "record 7's events arrived out of queue order");
    assert_eq!(ids.len(), 31);
    assert!(
        seen.status_count(202) < 2031,
        "expected bulk calls, got one call per record"
    );
    emu.stop().await;
    db.finish().await;
}

/// Queue rows the API refuses: an empty recordId (400) among good rows.
async fn enqueue_with_bad_rows(db: &TestDb, good: usize) {
    db.insert_products(good).await;
    for _ in 0..3 {
        db.exec("INSERT INTO certyo_queue (table_name, record_id, op_type, payload) VALUES ('products', '', 'insert', '{\"x\": 1}')").await;
    }
}

async fn bad_rows_are_isolated(mode: BulkResponseMode) {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig {
        bulk_response: mode,
        ..Default::default()
    })
    .await;
    enqueue_with_bad_rows(&db, 300).await;
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(2),
    );
    wait_until(
        Duration::from_secs(30),
        "good rows delivered, bad rows dead",
        || async { db.pending().await == 0 },
    )
    .await;
    w.stop().await;
    assert_eq!(
        db.dead().await,
        3,
        "exactly the bad rows are dead letters ({mode:?})"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE dead_at IS NOT NULL AND last_error LIKE '%400%' AND attempts = 1").await,
        3,
        "dead at once with the API's message"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1")
            .await,
        300
    );
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn bulk_with_per_item_results_delivers_the_good_and_buries_the_bad() {
    bad_rows_are_isolated(BulkResponseMode::Items).await;
}

#[tokio::test]
async fn bulk_refused_as_a_whole_is_isolated_record_by_record() {
    bad_rows_are_isolated(BulkResponseMode::RejectBatch).await;
}

#[tokio::test]
async fn bulk_accepted_without_detail_counts_as_delivered() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig {
        bulk_response: BulkResponseMode::Bare,
        ..Default::default()
    })
    .await;
    db.insert_products(200).await;
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(2),
    );
    drained(&db, Duration::from_secs(30)).await;
    w.stop().await;
    assert_eq!(emu.inspect().keys_received(), db.queue_keys().await);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending'")
            .await,
        200
    );
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_until_delivered() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig {
        fail_rate: 0.4,
        rate_limit: Some(40),
        ..Default::default()
    })
    .await;
    db.insert_products(150).await;
    let mut cfg = worker_config(4);
    cfg.bulk_threshold = 1000; // single POSTs: many calls, so faults hit often
    cfg.batch_size = 10;
    // Each 500 spends an attempt (a 429 does not); at this rate rows reach 12-20 attempts
    // (seen: one row dead after 20 in a clean CI run on MySQL). The point here is that
    // transient faults are retried until delivered, so the cap is out of the way.
    cfg.max_attempts = 200;
    let w = RunningWorker::start(&db, api_config(&emu.url(), &db.name), None, cfg);
    drained(&db, Duration::from_secs(60)).await;
    let stats = w.delivery.stats.clone();
    w.stop().await;
    let seen = emu.inspect();
    assert!(
        seen.status_count(500) > 0 && seen.status_count(429) > 0,
        "faults were injected"
    );
    assert_eq!(seen.keys_received(), db.queue_keys().await);
    assert_eq!(db.dead().await, 0, "a transient fault made a dead letter");
    assert!(stats.retried.load(std::sync::atomic::Ordering::Relaxed) > 0);
    let with_errors = db
        .scalar("SELECT COUNT(*) FROM certyo_queue WHERE attempts > 1")
        .await;
    assert!(with_errors > 0, "no row was retried");
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn a_rate_limit_however_long_spends_no_attempt_and_makes_no_dead_letter() {
    let db = TestDb::with_products().await;
    // 5 requests/s against 4 workers sending single POSTs: most calls get a 429.
    let emu = emulator(EmulatorConfig {
        rate_limit: Some(5),
        ..Default::default()
    })
    .await;
    db.insert_products(40).await;
    let mut cfg = worker_config(4);
    cfg.bulk_threshold = 1000;
    cfg.batch_size = 2;
    cfg.max_attempts = 2;
    let w = RunningWorker::start(&db, api_config(&emu.url(), &db.name), None, cfg);
    drained(&db, Duration::from_secs(60)).await;
    w.stop().await;
    let seen = emu.inspect();
    assert!(
        seen.status_count(429) > 40,
        "the rate limit was hit more often than there are rows: {}",
        seen.status_count(429)
    );
    assert_eq!(seen.keys_received(), db.queue_keys().await);
    assert_eq!(db.dead().await, 0, "a rate limit made a dead letter");
    assert_eq!(
        db.scalar("SELECT CAST(MAX(attempts) AS SIGNED) FROM certyo_queue")
            .await,
        1,
        "only the accepted send counts as an attempt"
    );
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn a_refused_key_pauses_delivery_without_burning_attempts_until_the_key_file_is_fixed() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    db.insert_products(20).await;
    let dir = std::env::temp_dir().join(format!("cq-key-{}", db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("key");
    std::fs::write(&key_file, "certyo_sk_test_wrong\n").unwrap();
    let mut api = api_config(&emu.url(), &db.name);
    api.api_key = certyo_queue::config::ApiKey::new("certyo_sk_test_wrong");
    let w = RunningWorker::start(&db, api, Some(key_file.clone()), worker_config(2));

    wait_until(Duration::from_secs(10), "a 401", || async {
        emu.inspect().status_count(401) > 0
    })
    .await;
    assert!(
        w.delivery.auth.is_failing(),
        "worker reports the credentials problem"
    );
    tokio::time::sleep(Duration::from_millis(700)).await; // a couple of auth-retry periods
    assert_eq!(db.pending().await, 20, "rows must stay queued");
    assert_eq!(db.dead().await, 0);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE attempts > 0")
            .await,
        0,
        "attempts were burnt"
    );
    let calls_while_paused = emu.inspect().status_count(401);
    assert!(
        calls_while_paused < 20,
        "kept hammering the API with a bad key: {calls_while_paused} calls"
    );

    std::fs::write(
        &key_file,
        format!("{}\n", EmulatorConfig::default().api_key),
    )
    .unwrap();
    drained(&db, Duration::from_secs(10)).await;
    assert!(!w.delivery.auth.is_failing());
    w.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn payloads_that_are_not_json_objects_become_dead_letters_and_the_rest_flows() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    db.exec("INSERT INTO certyo_queue (table_name, record_id, op_type, payload) VALUES ('products', '900', 'insert', '[1,2,3]')").await;
    db.exec("INSERT INTO certyo_queue (table_name, record_id, op_type, payload) VALUES ('products', '901', 'insert', '\"text\"')").await;
    db.insert_products(5).await;
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(1),
    );
    drained(&db, Duration::from_secs(20)).await;
    w.stop().await;
    assert_eq!(db.dead().await, 2);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE dead_at IS NOT NULL AND last_error = 'payload is not a JSON object'").await,
        2
    );
    assert_eq!(emu.inspect().keys_received().len(), 5);
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn an_api_that_keeps_failing_makes_dead_letters_after_max_attempts() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    emu.set_outage(true);
    db.insert_products(3).await;
    let mut cfg = worker_config(1);
    cfg.max_attempts = 3;
    let w = RunningWorker::start(&db, api_config(&emu.url(), &db.name), None, cfg);
    wait_until(Duration::from_secs(20), "rows dead", || async {
        db.dead().await == 3
    })
    .await;
    w.stop().await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE CAST(attempts AS SIGNED) = 3 AND last_error LIKE 'gave up after 3 attempts%'").await, 3);
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn shutdown_mid_batch_hands_back_unsent_rows_and_a_new_worker_delivers_everything() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig {
        latency: Duration::from_millis(800),
        ..Default::default()
    })
    .await;
    db.insert_products(2500).await;
    let mut cfg = worker_config(1);
    cfg.batch_size = 2500; // one claim, three bulk calls of ≤ 1000
    let w = RunningWorker::start(&db, api_config(&emu.url(), &db.name), None, cfg.clone());
    let stats = w.delivery.stats.clone();
    wait_until(Duration::from_secs(10), "a bulk call started", || async {
        stats.api_calls.load(std::sync::atomic::Ordering::Relaxed) > 0
    })
    .await;
    assert!(
        w.stop().await,
        "in-flight call finished within the shutdown timeout"
    );
    let delivered = db
        .scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1")
        .await;
    assert!(
        delivered == 1000,
        "the in-flight bulk finished, the rest waited: {delivered}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE lease_owner IS NOT NULL")
            .await,
        0,
        "claims not handed back"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND attempts > 0")
            .await,
        0,
        "handed-back rows lost an attempt"
    );

    emu.set_latency(Duration::ZERO);
    let w2 = RunningWorker::start(&db, api_config(&emu.url(), &db.name), None, cfg);
    drained(&db, Duration::from_secs(30)).await;
    w2.stop().await;
    assert_eq!(emu.inspect().keys_received(), db.queue_keys().await);
    emu.stop().await;
    db.finish().await;
}

/// A claim whose lease was taken over while its API call was in flight (another worker
/// claimed the rows after the lease expired) settles nothing: its 202s are not counted
/// as deliveries but as lost leases, and the rows' new holder delivers them, once each.
#[tokio::test]
async fn rows_whose_lease_was_taken_over_mid_call_count_as_lost_not_delivered() {
    use std::sync::atomic::Ordering::Relaxed;
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig {
        latency: Duration::from_millis(1500),
        ..Default::default()
    })
    .await;
    db.insert_products(5).await;
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(1),
    );
    let stats = w.delivery.stats.clone();
    wait_until(
        Duration::from_secs(10),
        "the rows claimed and sent",
        || async { stats.api_calls.load(Relaxed) > 0 },
    )
    .await;
    // What a claim by another worker does to rows whose lease expired.
    db.exec("UPDATE certyo_queue SET lease_owner = 'another-worker', attempts = attempts + 1, available_at = NOW(6) + INTERVAL 1 HOUR WHERE processed = 0")
        .await;
    wait_until(
        Duration::from_secs(10),
        "the lost leases counted",
        || async { stats.lost_leases.load(Relaxed) == 5 },
    )
    .await;
    assert_eq!(
        stats.delivered.load(Relaxed),
        0,
        "a lost row was counted as delivered"
    );
    assert_eq!(db.pending().await, 5, "the new holder's rows were changed");
    // The other worker's lease expires in turn: this worker takes the rows and delivers.
    db.exec("UPDATE certyo_queue SET available_at = NOW(6) WHERE processed = 0")
        .await;
    emu.set_latency(Duration::ZERO);
    drained(&db, Duration::from_secs(30)).await;
    w.stop().await;
    assert_eq!(stats.delivered.load(Relaxed), 5);
    assert_eq!(stats.lost_leases.load(Relaxed), 5);
    assert_eq!(emu.inspect().keys_received(), db.queue_keys().await);
    emu.stop().await;
    db.finish().await;
}
