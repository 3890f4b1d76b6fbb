//! Delivery never lies (issue 13): every shape of bulk answer, redirects, a wrong base
//! path, Retry-After, an answer that never ends, and a slow API under a short lease,
//! each asserted per record against a real database, the emulator, or a small
//! stand-in server of the test's own.
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use certyo_queue::cli::BulkResponseMode;
use certyo_queue::emulator::{self, canonical_hash, EmulatorConfig, EmulatorHandle};
use common::{api_config, wait_until, worker_config, RunningWorker, TestDb};
use tokio_util::sync::CancellationToken;

async fn emulator(cfg: EmulatorConfig) -> EmulatorHandle {
    emulator::start(cfg).await.expect("emulator starts")
}

/// Every log line of this test binary, as JSON text (tests run in one process, so
/// assertions look for lines naming their own stand-in's address).
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buf);
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter("certyo_queue=info")
            .with_writer(move || LogWriter(Arc::clone(&sink)))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buf
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_lines_with(needles: &[&str]) -> Vec<String> {
    let buf = logs();
    let text = String::from_utf8_lossy(&buf.lock().unwrap()).to_string();
    text.lines()
        .filter(|l| needles.iter().all(|n| l.contains(n)))
        .map(str::to_string)
        .collect()
}

/// Serve `/readyz` for a running worker; returns its URL.
async fn readyz(db: &TestDb, w: &RunningWorker, stop: CancellationToken) -> String {
    let health = certyo_queue::health_server::Health {
        db: db.pool.clone(),
        auth: Arc::clone(&w.delivery.auth),
        delivery: Some(Arc::clone(&w.delivery.health)),
    };
    let (addr, _task) =
        certyo_queue::health_server::serve(([127, 0, 0, 1], 0).into(), health, stop)
            .await
            .expect("serve /readyz");
    format!("http://{addr}/readyz")
}

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.expect("GET");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// Queue rows the API refuses: an empty recordId (400) among good products.
async fn products_and_bad_rows(db: &TestDb, good: usize, bad: usize) {
    db.insert_products(good).await;
    for _ in 0..bad {
        db.exec("INSERT INTO certyo_queue (table_name, record_id, op_type, payload) VALUES ('products', '', 'insert', '{\"x\": 1}')").await;
    }
}

/// Each product row carries the hash of exactly the payload the API stored for it.
async fn hashes_are_on_the_right_rows(db: &TestDb, emu: &EmulatorHandle, expect: usize) {
    let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, certyo_anchor_status, certyo_record_hash FROM products ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), expect);
    let seen = emu.inspect();
    for (id, status, hash) in rows {
        assert_eq!(status.as_deref(), Some("Pending"), "product {id}");
        let stored = seen
            .record("products", &id.to_string())
            .and_then(|r| r.latest())
            .unwrap_or_else(|| panic!("product {id} never reached the API"));
        assert_eq!(
            hash.as_deref(),
            Some(canonical_hash(&stored.payload).as_str()),
            "product {id} carries another row's hash"
        );
    }
}

async fn every_shape(mode: BulkResponseMode, expect_uncertain: bool) {
    let _ = logs();
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig {
        bulk_response: mode,
        ..Default::default()
    })
    .await;
    products_and_bad_rows(&db, 40, 8).await;
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(1),
    );
    wait_until(Duration::from_secs(30), "every row settled", || async {
        db.pending().await == 0
    })
    .await;
    let stats = Arc::clone(&w.delivery.stats);
    w.stop().await;

    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1 AND record_id <> ''")
            .await,
        40,
        "{mode:?}: every accepted row delivered"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1 AND record_id = ''")
            .await,
        0,
        "{mode:?}: a rejected row was marked delivered"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE dead_at IS NOT NULL AND record_id = '' AND last_error LIKE '%recordId must not be empty%'").await,
        8,
        "{mode:?}: the rejected rows are dead letters with the API's message"
    );
    assert_eq!(db.dead().await, 8, "{mode:?}: an accepted row is dead");
    hashes_are_on_the_right_rows(&db, &emu, 40).await;
    let uncertain = stats.bulk_uncertain.load(Ordering::Relaxed);
    if expect_uncertain {
        assert!(uncertain > 0, "{mode:?}: uncertain records not counted");
        assert!(
            emu.totals().replays > 0,
            "{mode:?}: the confirmations are replays of what the bulk stored"
        );
    } else {
        assert_eq!(uncertain, 0, "{mode:?}: a clear answer was confirmed again");
    }
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn string_statuses_deliver_only_the_accepted() {
    // A claim takes one event per record, so recordIds are unique in a batch.
    every_shape(BulkResponseMode::Strings, false).await;
}

#[tokio::test]
async fn a_bare_array_of_results_is_matched_by_position() {
    every_shape(BulkResponseMode::BareArray, false).await;
}

#[tokio::test]
async fn results_naming_only_the_rejected_leave_the_rest_to_be_confirmed() {
    every_shape(BulkResponseMode::OnlyRejected, true).await;
}

#[tokio::test]
async fn results_out_of_order_are_matched_by_record_id_and_hashes_land_on_their_rows() {
    every_shape(BulkResponseMode::Shuffled, false).await;
}

#[tokio::test]
async fn counts_saying_some_were_rejected_make_every_record_confirmed() {
    every_shape(BulkResponseMode::Bare, true).await;
}

#[tokio::test]
async fn per_item_numeric_results_need_no_confirmation() {
    every_shape(BulkResponseMode::Items, false).await;
}

#[tokio::test]
async fn an_empty_202_accepts_every_record_without_hashes() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig {
        bulk_response: BulkResponseMode::NoDetail,
        ..Default::default()
    })
    .await;
    db.insert_products(50).await;
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(1),
    );
    wait_until(Duration::from_secs(30), "delivered", || async {
        db.pending().await == 0
    })
    .await;
    let stats = Arc::clone(&w.delivery.stats);
    w.stop().await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending' AND certyo_record_hash IS NULL").await,
        50
    );
    assert_eq!(stats.bulk_uncertain.load(Ordering::Relaxed), 0);
    assert_eq!(emu.totals().replays, 0);
    emu.stop().await;
    db.finish().await;
}

async fn redirected(status: u16) {
    let _ = logs();
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    // The other host: it must never see a request (no key, no records, no GET).
    let other = emulator(EmulatorConfig::default()).await;
    emu.set_redirect(Some((status, &other.url())));
    db.insert_products(30).await;
    let mut cfg = worker_config(2);
    cfg.auth_retry = Duration::from_millis(300);
    let w = RunningWorker::start(&db, api_config(&emu.url(), &db.name), None, cfg);
    let stop = CancellationToken::new();
    let ready = readyz(&db, &w, stop.clone()).await;

    wait_until(Duration::from_secs(10), "the redirect noticed", || async {
        w.delivery.health.is_misdirected()
    })
    .await;
    let (code, body) = get(&ready).await;
    assert_eq!(code, 503, "{body}");
    assert!(
        body.contains("redirects to another host") && body.contains(&other.url()),
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        other.totals().requests,
        0,
        "a request reached the other host"
    );
    assert_eq!(db.pending().await, 30, "rows must stay queued");
    assert_eq!(db.dead().await, 0);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE attempts > 0 AND lease_owner IS NULL")
            .await,
        0,
        "attempts were spent on a configuration problem"
    );
    assert!(
        !log_lines_with(&["worker.misdirected", &other.url()]).is_empty(),
        "no log line names the redirect target"
    );

    emu.set_redirect(None);
    wait_until(Duration::from_secs(20), "delivered once fixed", || async {
        db.pending().await == 0
    })
    .await;
    assert_eq!(get(&ready).await.0, 200);
    w.stop().await;
    stop.cancel();
    assert_eq!(other.totals().requests, 0);
    assert_eq!(emu.inspect().keys_received(), db.queue_keys().await);
    other.stop().await;
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn a_302_to_another_host_never_carries_the_key_or_the_records() {
    redirected(302).await;
}

#[tokio::test]
async fn a_307_to_another_host_never_carries_the_key_or_the_records() {
    redirected(307).await;
}

#[tokio::test]
async fn a_404_on_our_paths_keeps_the_rows_and_readyz_says_why() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    db.insert_products(30).await; // bulk calls
    db.exec("INSERT INTO certyo_queue (table_name, record_id, op_type, payload) VALUES ('orders', '1', 'insert', '{}')").await;
    let mut cfg = worker_config(2);
    cfg.auth_retry = Duration::from_millis(200);
    let wrong = format!("{}/certyo", emu.url());
    let w = RunningWorker::start(&db, api_config(&wrong, &db.name), None, cfg);
    let stop = CancellationToken::new();
    let ready = readyz(&db, &w, stop.clone()).await;
    wait_until(Duration::from_secs(10), "the 404 noticed", || async {
        w.delivery.health.is_misdirected()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (code, body) = get(&ready).await;
    assert_eq!(code, 503);
    assert!(body.contains("404"), "{body}");
    assert_eq!(db.pending().await, 31);
    assert_eq!(db.dead().await, 0, "a wrong base path dead-lettered rows");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE attempts > 0 AND lease_owner IS NULL")
            .await,
        0
    );
    assert!(emu.totals().requests > 0);
    w.stop().await;
    stop.cancel();
    emu.stop().await;
    db.finish().await;
}

/// A stand-in API: the first `limited` ingestion calls get 429 with `retry_after`,
/// later ones 202 with a hash naming the record.
async fn rate_limited_api(limited: u64, retry_after: String) -> (String, Arc<AtomicU64>) {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let app = axum::Router::new().route(
        "/api/v1/records",
        axum::routing::post(move |body: axum::body::Bytes| {
            let counter = Arc::clone(&counter);
            let retry_after = retry_after.clone();
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                if n < limited {
                    let mut h = HeaderMap::new();
                    h.insert("retry-after", retry_after.parse().unwrap());
                    return (StatusCode::TOO_MANY_REQUESTS, h, "slow down").into_response();
                }
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let hash = format!("h-{}", v["recordId"].as_str().unwrap_or("?"));
                (
                    StatusCode::ACCEPTED,
                    axum::Json(serde_json::json!({"recordHash": hash})),
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, calls)
}

async fn retry_after_is_capped(header: String) {
    let db = TestDb::with_products().await;
    let (url, calls) = rate_limited_api(5, header).await;
    db.insert_products(5).await;
    let mut cfg = worker_config(1);
    cfg.retry_max = Duration::from_millis(500);
    let w = RunningWorker::start(&db, api_config(&url, &db.name), None, cfg);
    wait_until(
        Duration::from_secs(10),
        "delivered within a few --retry-max, not a year",
        || async { db.pending().await == 0 },
    )
    .await;
    w.stop().await;
    assert!(calls.load(Ordering::SeqCst) >= 10);
    assert_eq!(db.dead().await, 0);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_record_hash = CONCAT('h-', id)")
            .await,
        5
    );
    db.finish().await;
}

#[tokio::test]
async fn a_retry_after_of_a_year_in_seconds_is_capped_by_retry_max() {
    retry_after_is_capped("31536000".into()).await;
}

#[tokio::test]
async fn a_retry_after_http_date_is_honoured_and_capped_by_retry_max() {
    let in_a_year = chrono::Utc::now() + chrono::Duration::days(365);
    retry_after_is_capped(in_a_year.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).await;
}

#[tokio::test]
async fn a_body_that_never_ends_is_cut_by_the_request_timeout_and_the_failure_is_loud() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = logs();
    let db = TestDb::with_products().await;
    // A stand-in that answers 202 and then drips its body one byte a second, forever.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let head = "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                loop {
                    tokio::time::sleep(Duration::from_millis(1000)).await;
                    if sock.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    db.insert_products(3).await;
    let mut api = api_config(&url, &db.name);
    api.request_timeout = Duration::from_millis(800);
    let mut cfg = worker_config(1);
    cfg.lease = Duration::from_secs(5);
    let w = RunningWorker::start(&db, api, None, cfg);
    wait_until(Duration::from_secs(20), "timed-out attempts retried", || async {
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE attempts >= 3 AND last_error LIKE '%timed out%' AND lease_owner IS NULL").await == 3
    })
    .await;
    w.stop().await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1")
            .await,
        0,
        "an unfinished answer counted as accepted"
    );
    assert!(
        !log_lines_with(&["worker.api_failing", "timed out", "WARN"]).is_empty(),
        "no WARN line names the timeout"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_slow_api_under_a_short_lease_never_dead_letters_accepted_rows() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig {
        bulk_response: BulkResponseMode::RejectBatch,
        latency: Duration::from_millis(400),
        ..Default::default()
    })
    .await;
    // A refused bulk of 300: isolated by single calls, 32 at a time, 400 ms each; the
    // whole isolation (≈ 4 s) cannot fit a 3 s lease, so each round sends what fits.
    products_and_bad_rows(&db, 297, 3).await;
    let mut api = api_config(&emu.url(), &db.name);
    api.request_timeout = Duration::from_millis(1200);
    // Two workers: the second takes over any lease that expires mid-round.
    let mut cfg = worker_config(2);
    cfg.batch_size = 300;
    cfg.lease = Duration::from_secs(3);
    cfg.max_attempts = 3;
    let w = RunningWorker::start(&db, api, None, cfg);
    wait_until(Duration::from_secs(90), "every row settled", || async {
        db.pending().await == 0
    })
    .await;
    w.stop().await;
    assert_eq!(db.dead().await, 3, "an accepted row became a dead letter");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1")
            .await,
        297
    );
    let seen = emu.inspect();
    assert_eq!(
        seen.max_in_flight_overall(),
        1,
        "a lease expired mid-call and another claim sent the same record"
    );
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn readyz_turns_503_when_nothing_is_delivered_for_a_while_with_rows_waiting() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    let mut cfg = worker_config(1);
    cfg.stall_after = Duration::from_millis(1500);
    cfg.progress_interval = Duration::from_millis(200);
    let w = RunningWorker::start(&db, api_config(&emu.url(), &db.name), None, cfg);
    let stop = CancellationToken::new();
    let ready = readyz(&db, &w, stop.clone()).await;
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(get(&ready).await.0, 200, "an empty queue is not a stall");

    emu.set_outage(true);
    db.insert_products(5).await;
    wait_until(Duration::from_secs(10), "/readyz says stalled", || async {
        let (code, body) = get(&ready).await;
        code == 503 && body.contains("nothing delivered")
    })
    .await;
    assert_eq!(db.pending().await, 5);

    emu.set_outage(false);
    wait_until(Duration::from_secs(10), "delivered and ready", || async {
        db.pending().await == 0 && get(&ready).await.0 == 200
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(get(&ready).await.0, 200, "drained is not stalled");
    w.stop().await;
    stop.cancel();
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn a_refused_connection_is_named_in_the_error_and_the_warn_line() {
    let _ = logs();
    let db = TestDb::with_products().await;
    let port = common::process::free_port();
    let url = format!("http://127.0.0.1:{port}");
    db.insert_products(3).await;
    let w = RunningWorker::start(&db, api_config(&url, &db.name), None, worker_config(1));
    wait_until(Duration::from_secs(15), "refused calls retried", || async {
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE attempts >= 2 AND last_error LIKE '%connection refused%' AND lease_owner IS NULL").await == 3
    })
    .await;
    w.stop().await;
    assert!(
        !log_lines_with(&[
            "worker.api_failing",
            "connection refused",
            &port.to_string()
        ])
        .is_empty(),
        "no WARN line names the refused connection"
    );
    db.finish().await;
}
