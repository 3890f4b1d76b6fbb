//! Reliability: the built binary in separate processes, killed, starved and fed bad
//! input, against a real MariaDB and the emulator over HTTP. Each test ends with what a
//! user would check: every queue row reached Certyo (its `queue-{id}` key arrived at
//! least once), nothing left pending, and only the rows that deserve it are dead.
//!
//! Delays between faults (how long a worker lives before SIGKILL, how long an outage
//! lasts) are the fault schedule, so they are sleeps; everything else waits on a
//! condition with a deadline.
mod common;

use std::time::{Duration, Instant};

use certyo_queue::emulator::{self, EmulatorConfig, EmulatorHandle};
use common::process::{self, Worker};

use common::{wait_until, TestDb};

async fn emulator(cfg: EmulatorConfig) -> EmulatorHandle {
    emulator::start(cfg).await.expect("emulator starts")
}

async fn delivered(db: &TestDb) -> i64 {
    db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1")
        .await
}

/// Wait until nothing is pending, failing with the workers' stderr if it takes too long.
async fn drained(db: &TestDb, within: Duration, workers: &mut [&mut Worker]) {
    let start = Instant::now();
    loop {
        if db.pending().await == 0 {
            return;
        }
        for w in workers.iter_mut() {
            w.assert_running();
        }
        if start.elapsed() > within {
            let logs: Vec<String> = workers
                .iter()
                .map(|w| format!("--- {} ---\n{}", w.name, tail(&w.stderr(), 30)))
                .collect();
            panic!(
                "queue not drained within {within:?}: {} pending, {} dead\n{}",
                db.pending().await,
                db.dead().await,
                logs.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until more rows are delivered than `before`, while `w` keeps running.
async fn progress_by(db: &TestDb, before: i64, w: &mut Worker) {
    let start = Instant::now();
    while delivered(db).await <= before {
        w.assert_running();
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "worker {} delivered nothing in 60 s ({} pending); stderr:\n{}",
            w.name,
            db.pending().await,
            tail(&w.stderr(), 30)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Every queue row's idempotency key reached the emulator at least once.
async fn assert_every_row_arrived(db: &TestDb, emu: &EmulatorHandle) {
    let want = db.queue_keys().await;
    let got = emu.inspect().keys_received();
    let missing: Vec<&String> = want.difference(&got).take(10).collect();
    assert!(
        missing.is_empty(),
        "{} of {} queue rows never reached Certyo, e.g. {missing:?}",
        want.difference(&got).count(),
        want.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_killed_with_sigkill_mid_drain_lose_nothing() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    // A little latency per call keeps the drain long enough to be killed mid-way.
    emu.set_latency(Duration::from_millis(100));
    db.insert_products(20_000).await;
    let (url, api) = (db.url(), emu.url());
    let args = ["--lease", "3s", "--concurrency", "4", "--batch-size", "50"];

    let started = Instant::now();
    let mut kills = Vec::new();
    for round in 0..4 {
        let mut w = Worker::spawn(&format!("victim-{round}"), &url, &api, &args);
        let before = delivered(&db).await;
        progress_by(&db, before, &mut w).await;
        let after_ms = fastrand::u64(100..=700);
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        w.assert_running();
        let pending = db.pending().await;
        w.kill9();
        let leased = db
            .scalar(
                "SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND lease_owner IS NOT NULL",
            )
            .await;
        kills.push((after_ms, pending, leased));
    }
    assert!(
        kills.iter().all(|(_, pending, _)| *pending > 0),
        "every kill must land mid-drain: {kills:?}"
    );
    assert!(
        kills.iter().any(|(_, _, leased)| *leased > 0),
        "at least one kill must leave rows leased by the dead worker: {kills:?}"
    );

    let mut fresh = Worker::spawn("fresh", &url, &api, &args);
    drained(&db, Duration::from_secs(120), &mut [&mut fresh]).await;
    let elapsed = started.elapsed();

    assert_eq!(
        db.dead().await,
        0,
        "no row may die from its worker being killed"
    );
    assert_every_row_arrived(&db, &emu).await;
    let totals = emu.totals();
    // A row is marked delivered and written back in one transaction, so a kill can
    // never leave a delivered row's source row without its hash and Pending status.
    let not_written_back = db
        .scalar("SELECT COUNT(*) FROM products WHERE certyo_ingested_at IS NULL")
        .await;
    assert_eq!(
        not_written_back, 0,
        "source rows never written back after a kill"
    );
    println!(
        "kill -9: {not_written_back} source rows never written back; 20000 rows, {} kills (ms after progress, pending, leased at kill: {kills:?}), \
         {} versions accepted, {} replays, max attempts {}, lost 0, {elapsed:?}",
        kills.len(),
        totals.records_accepted,
        totals.replays,
        db.scalar("SELECT CAST(MAX(attempts) AS SIGNED) FROM certyo_queue")
            .await
    );
    fresh.term();
    assert!(fresh.wait_exit(Duration::from_secs(30)).await.success());
    emu.stop().await;
    db.finish().await;
}

/// The highest attempt count of any queue row.
async fn max_attempts(db: &TestDb) -> i64 {
    db.scalar("SELECT CAST(COALESCE(MAX(attempts), 0) AS SIGNED) FROM certyo_queue")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_failures_an_outage_and_rate_limits_delay_delivery_but_lose_nothing() {
    // The issue asks for a 20 s outage: long enough for every row in flight to back off
    // to the cap (--retry-max 4s) several times over.
    const OUTAGE: Duration = Duration::from_secs(20);
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    let (url, api) = (db.url(), emu.url());
    let mut w = Worker::spawn(
        "faults",
        &url,
        &api,
        &[
            "--concurrency",
            "4",
            "--batch-size",
            "20",
            "--max-attempts",
            "50",
            "--retry-initial",
            "100ms",
            "--retry-max",
            "4s",
        ],
    );
    let started = Instant::now();

    // 1. Three calls in ten fail with 500.
    emu.set_fail_rate(0.3);
    db.insert_products(2000).await;
    let t = Instant::now();
    while emu.inspect().status_count(500) < 20 || delivered(&db).await < 500 {
        w.assert_running();
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no progress under a 30 % fail rate:\n{}",
            tail(&w.stderr(), 30)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // 2. Every call refused (503) while changes keep arriving.
    emu.set_fail_rate(0.0);
    emu.set_outage(true);
    db.insert_products(1000).await;
    tokio::time::sleep(OUTAGE).await;
    w.assert_running();
    let during_outage = emu.inspect().status_count(503);
    assert!(during_outage > 0, "the outage was never noticed");

    // 3. Back, but rate-limited: 429 with Retry-After.
    emu.set_outage(false);
    emu.set_rate_limit(Some(10));
    db.insert_products(1000).await;
    drained(&db, Duration::from_secs(120), &mut [&mut w]).await;
    let elapsed = started.elapsed();

    let seen = emu.inspect();
    assert!(seen.status_count(429) > 0, "the rate limit was never hit");
    assert_eq!(db.dead().await, 0, "no row may die from a transient fault");
    assert_every_row_arrived(&db, &emu).await;
    let attempts = max_attempts(&db).await;
    let histogram: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT CAST(attempts AS SIGNED), COUNT(*) FROM certyo_queue GROUP BY attempts ORDER BY attempts",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    // Backoff doubles from 100 ms to 4 s (jitter ×0.5–1): a 20 s outage costs a row at
    // most ~16 attempts; a 429 spends none. A worker that retried
    // without backing off would spend hundreds, and --max-attempts 50 would bury rows.
    assert!(
        attempts <= 40,
        "attempts must stay bounded: a row took {attempts} ({histogram:?})"
    );
    println!(
        "faults: 4000 rows, {} × 500, {during_outage} × 503 over a {OUTAGE:?} outage, {} × 429; \
         max attempts {attempts}, (attempts, rows) {histogram:?}, dead 0, lost 0, {elapsed:?}",
        seen.status_count(500),
        seen.status_count(429)
    );
    w.term();
    assert!(w.wait_exit(Duration::from_secs(30)).await.success());
    emu.stop().await;
    db.finish().await;
}

/// A query on the throwaway server, retried while it is down or restarting.
async fn with_retry<T, F, Fut>(what: &str, mut op: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let start = Instant::now();
    loop {
        match op().await {
            Ok(v) => return v,
            Err(e) if start.elapsed() < Duration::from_secs(60) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

async fn count_on(pool: &sqlx::MySqlPool, sql: &'static str) -> i64 {
    with_retry(sql, || sqlx::query_scalar::<_, i64>(sql).fetch_one(pool)).await
}

async fn insert_on(pool: &sqlx::MySqlPool, from: usize, n: usize) {
    for start in (from..from + n).step_by(500) {
        let values: Vec<String> = (start..(start + 500).min(from + n))
            .map(|i| format!("('SKU-{i}', 'p{i}', 'cat', 1.50, 'B1', '2026-01-02 03:04:05')"))
            .collect();
        let sql = format!(
            "INSERT INTO products (sku, name, category, price, batch_number, manufactured_at) VALUES {}",
            values.join(",")
        );
        with_retry("insert products", || {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.as_str())).execute(pool)
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_restarted_underneath_running_workers_loses_nothing() {
    let mut server = process::ThrowawayServer::start().await;
    let url = server.url();
    let cfg = certyo_queue::config::DbConfig::parse(&url).unwrap();
    let pool = certyo_queue::db::connect(&cfg, 4)
        .await
        .expect("connect to the throwaway server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(common::PRODUCTS_DDL.as_str()))
        .execute(&pool)
        .await
        .unwrap();
    process::migrate(&url, &["products"]);

    let emu = emulator(EmulatorConfig::default()).await;
    emu.set_latency(Duration::from_millis(50));
    let args = ["--concurrency", "4", "--batch-size", "50", "--lease", "5s"];
    let mut a = Worker::spawn("a", &url, &emu.url(), &args);
    let mut b = Worker::spawn("b", &url, &emu.url(), &args);
    let started = Instant::now();
    const DELIVERED: &str = "SELECT COUNT(*) FROM certyo_queue WHERE processed = 1";
    const PENDING: &str =
        "SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND dead_at IS NULL";

    insert_on(&pool, 0, 4000).await;
    let mut inserted = 4000;
    let mut restarts = Vec::new();
    for (round, crash) in [(0, true), (1, false)] {
        let before = count_on(&pool, DELIVERED).await;
        let t = Instant::now();
        while count_on(&pool, DELIVERED).await < before + 300 {
            a.assert_running();
            b.assert_running();
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "round {round}: no progress:\n{}",
                tail(&a.stderr(), 30)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let pending = count_on(&pool, PENDING).await;
        assert!(
            pending > 0,
            "round {round}: the restart must come mid-drain"
        );
        if crash {
            server.kill9();
        } else {
            server.stop().await;
        }
        // Down for a while: claims and settles fail, deliveries in flight go on.
        tokio::time::sleep(Duration::from_secs(2)).await;
        server.restart().await;
        restarts.push((if crash { "SIGKILL" } else { "SIGTERM" }, pending));
        insert_on(&pool, inserted, 2000).await;
        inserted += 2000;
    }

    let t = Instant::now();
    while count_on(&pool, PENDING).await > 0 {
        a.assert_running();
        b.assert_running();
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "not drained after the restarts: {} pending\n--- a ---\n{}\n--- b ---\n{}",
            count_on(&pool, PENDING).await,
            tail(&a.stderr(), 30),
            tail(&b.stderr(), 30)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();
    let dead = count_on(
        &pool,
        "SELECT COUNT(*) FROM certyo_queue WHERE dead_at IS NOT NULL",
    )
    .await;
    assert_eq!(dead, 0, "no row may die from a database restart");
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM certyo_queue")
        .fetch_all(&pool)
        .await
        .unwrap();
    let got = emu.inspect().keys_received();
    let missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !got.contains(&format!("queue-{id}")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} rows never reached Certyo, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(
        ids.len() >= inserted,
        "{} queue rows for {inserted} inserted products: committed changes were lost",
        ids.len()
    );
    // The same two processes, never restarted, drained everything: they recovered by
    // themselves. How often they met the outage is a figure, not a condition (a worker
    // busy in an HTTP call may not touch the database while it is down).
    let db_errors: usize = [&a, &b]
        .iter()
        .map(|w| {
            w.stderr()
                .lines()
                .filter(|l| l.contains("queue.claim_failed") || l.contains("settling rows"))
                .count()
        })
        .sum();
    let version: String = with_retry("SELECT VERSION()", || {
        sqlx::query_scalar("SELECT VERSION()").fetch_one(&pool)
    })
    .await;
    println!(
        "server restart ({version}): {} rows, 2 workers, restarts (signal, pending at restart) {restarts:?}, \
         database errors logged {db_errors}, replays {}, dead 0, lost 0, {elapsed:?}",
        ids.len(),
        emu.totals().replays
    );
    for w in [&mut a, &mut b] {
        w.term();
        assert!(w.wait_exit(Duration::from_secs(30)).await.success());
    }
    pool.close().await;
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_keep_each_records_events_in_order_one_request_at_a_time() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    emu.set_latency(Duration::from_millis(5));
    db.insert_products(1000).await;
    let (url, api) = (db.url(), emu.url());
    let args = ["--concurrency", "8", "--batch-size", "20"];
    let mut workers: Vec<Worker> = (0..3)
        .map(|i| Worker::spawn(&format!("p{i}"), &url, &api, &args))
        .collect();
    let started = Instant::now();
    // Changes keep arriving while the three drain: new rows, and bursts of updates on
    // a few hot records (ids 1..=5) and a rotating slice of the others.
    for round in 0..40 {
        db.insert_products(25).await;
        db.exec(&format!(
            "UPDATE products SET price = {round} WHERE id <= 5 OR id % 40 = {}",
            round % 40
        ))
        .await;
        for w in workers.iter_mut() {
            w.assert_running();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut refs: Vec<&mut Worker> = workers.iter_mut().collect();
    drained(&db, Duration::from_secs(120), &mut refs).await;
    let elapsed = started.elapsed();

    assert_eq!(db.dead().await, 0);
    assert_every_row_arrived(&db, &emu).await;
    let seen = emu.inspect();
    assert_eq!(
        seen.max_in_flight_overall(),
        1,
        "some record had two requests in flight at once"
    );
    let mut out_of_order = Vec::new();
    for rec in &seen.records {
        let ids: Vec<i64> = rec
            .keys()
            .iter()
            .map(|k| k.trim_start_matches("queue-").parse().unwrap())
            .collect();
        if ids.windows(2).any(|w| w[0] >= w[1]) {
            out_of_order.push((rec.record_id.clone(), ids));
        }
    }
    assert!(
        out_of_order.is_empty(),
        "events arrived out of queue order: {:?}",
        &out_of_order[..out_of_order.len().min(5)]
    );
    let hot = seen.record("products", "1").unwrap().versions.len();
    assert!(
        hot >= 30,
        "the hot record should have many versions, got {hot}"
    );
    println!(
        "3 processes × 8: {} rows, {} records, {hot} versions of record 1, max in flight 1, \
         out of order 0, {elapsed:?}",
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        seen.records.len()
    );
    for w in workers.iter_mut() {
        w.term();
    }
    for w in workers.iter_mut() {
        assert!(w.wait_exit(Duration::from_secs(30)).await.success());
    }
    emu.stop().await;
    db.finish().await;
}

/// The `last_error` of the queue row of this record.
async fn reason(db: &TestDb, where_: &str) -> String {
    sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(format!(
        "SELECT last_error FROM certyo_queue WHERE dead_at IS NOT NULL AND {where_}"
    )))
    .fetch_one(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("no dead letter where {where_}: {e}"))
    .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_rows_become_dead_letters_with_reasons_and_the_rest_is_delivered() {
    let db = TestDb::with_products().await;
    db.exec("CREATE TABLE docs (id INT AUTO_INCREMENT PRIMARY KEY, body LONGTEXT NOT NULL) ENGINE=InnoDB")
        .await;
    db.capture(&["products", "docs"]).await;
    // Bodies up to 1 MiB, bulk or single: a bulk carrying the 1.5 MiB document is
    // refused whole (413), the worker re-sends its records one by one, and only the
    // document is refused again (413).
    let emu = emulator(EmulatorConfig {
        max_bulk_body: 1 << 20,
        ..EmulatorConfig::default()
    })
    .await;

    // Round 1, one claim of 500: 498 good rows, one the API rejects (empty recordId,
    // 400 inside the bulk), one that is not JSON. MariaDB's JSON type carries a CHECK
    // (json_valid); a queue table adopted from a server without it (MariaDB before
    // 10.4.3, or one made with LONGTEXT) holds whatever was written, which is the case
    // reproduced here. (With the CHECK in place and bypassed, see
    // `a_row_breaking_the_json_check_does_not_halt_the_queue`.)
    db.exec("ALTER TABLE certyo_queue MODIFY payload LONGTEXT NOT NULL")
        .await;
    db.insert_products(249).await;
    db.exec(
        "INSERT INTO certyo_queue (table_name, record_id, op_type, payload) \
         VALUES ('products', '', 'insert', '{\"sku\": \"no id\"}')",
    )
    .await;
    db.exec(
        "INSERT INTO certyo_queue (table_name, record_id, op_type, payload) \
         VALUES ('products', 'broken', 'insert', '{\"sku\": \"half')",
    )
    .await;
    db.insert_products(249).await;
    assert_eq!(db.pending().await, 500);
    let mut w = Worker::spawn(
        "poison",
        &db.url(),
        &emu.url(),
        &["--batch-size", "500", "--concurrency", "2"],
    );
    drained(&db, Duration::from_secs(60), &mut [&mut w]).await;
    assert_eq!(db.dead().await, 2, "{}", tail(&w.stderr(), 20));
    let empty_id = reason(&db, "record_id = ''").await;
    assert!(
        empty_id.contains("400") && empty_id.contains("recordId"),
        "{empty_id}"
    );
    let broken = reason(&db, "record_id = 'broken'").await;
    assert!(broken.contains("not valid JSON"), "{broken}");

    // Round 2: a 1.5 MiB document amid 100 good rows, committed together so that one
    // claim takes them all and they go out as one bulk call.
    let good: Vec<String> = (0..100)
        .map(|i| format!("('R2-{i}', 'r{i}', 'cat', 1.00, 'B2', NULL)"))
        .collect();
    db.exec(&format!(
        "START TRANSACTION; \
         INSERT INTO products (sku, name, category, price, batch_number, manufactured_at) VALUES {}; \
         INSERT INTO docs (body) VALUES (REPEAT('x', 1536 * 1024)); \
         INSERT INTO products (sku, name, category, price, batch_number, manufactured_at) VALUES {}; \
         COMMIT",
        good[..50].join(","),
        good[50..].join(",")
    ))
    .await;
    drained(&db, Duration::from_secs(60), &mut [&mut w]).await;
    assert_eq!(db.dead().await, 3, "{}", tail(&w.stderr(), 20));
    let big = reason(&db, "table_name = 'docs'").await;
    assert!(big.contains("413"), "{big}");

    // Everything else arrived; the dead ones did not (or were refused).
    let seen = emu.inspect();
    let got = seen.keys_received();
    let live: Vec<String> =
        sqlx::query_scalar::<_, i64>("SELECT id FROM certyo_queue WHERE dead_at IS NULL")
            .fetch_all(&db.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|id| format!("queue-{id}"))
            .collect();
    assert_eq!(live.len(), 598);
    assert!(
        live.iter().all(|k| got.contains(k)),
        "a good row was held back by a bad one"
    );
    assert!(seen.status_count(413) >= 2, "bulk and single 413 expected");
    wait_until(
        Duration::from_secs(30),
        "every good product row is written back",
        || async {
            db.scalar("SELECT COUNT(*) FROM products WHERE certyo_ingested_at IS NULL")
                .await
                == 0
        },
    )
    .await;
    println!(
        "poison: 601 rows, 3 dead letters (400 in a bulk of 499, invalid JSON, 1.5 MiB → 413), \
         598 delivered; reasons: {empty_id:?} / {broken:?} / {big:?}"
    );
    w.term();
    assert!(w.wait_exit(Duration::from_secs(30)).await.success());
    emu.stop().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_busy_worker_with_exit_0_and_nothing_left_leased() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    emu.set_latency(Duration::from_millis(300));
    db.insert_products(5000).await;
    // A long lease: a row left leased would stay stuck for a minute, so it shows.
    let mut w = Worker::spawn(
        "term",
        &db.url(),
        &emu.url(),
        &["--concurrency", "4", "--batch-size", "50", "--lease", "60s"],
    );
    progress_by(&db, 0, &mut w).await;
    let leased_before = db
        .scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND lease_owner IS NOT NULL")
        .await;
    w.term();
    let status = w.wait_exit(Duration::from_secs(40)).await;
    assert_eq!(status.code(), Some(0), "{}", tail(&w.stderr(), 20));
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND lease_owner IS NOT NULL"
        )
        .await,
        0,
        "rows left leased after a graceful stop"
    );
    assert!(db.pending().await > 0, "the stop must come mid-drain");
    assert_eq!(db.dead().await, 0);
    // What was marked delivered really arrived.
    let got = emu.inspect().keys_received();
    let done: Vec<i64> = sqlx::query_scalar("SELECT id FROM certyo_queue WHERE processed = 1")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(done.iter().all(|id| got.contains(&format!("queue-{id}"))));
    println!(
        "SIGTERM: exit 0, {leased_before} rows leased before, 0 after, {} delivered, {} pending",
        done.len(),
        db.pending().await
    );
    emu.stop().await;
    db.finish().await;
}

/// On MariaDB a queue row whose payload breaks the JSON column's CHECK (written with
/// `check_constraint_checks = 0`, e.g. by a bulk load) used to make every claim fail
/// with error 4025, because MariaDB re-checks the constraint on any UPDATE of the row.
/// Worker sessions now skip CHECK evaluation (sql/session_setup_mariadb.sql).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_breaking_the_json_check_does_not_halt_the_queue() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    db.insert_products(50).await;
    // MariaDB's JSON is LONGTEXT with a CHECK that a session may switch off, so a row
    // can hold broken JSON; MySQL's JSON type cannot, but it can hold JSON that is
    // not an object. Both must become one dead letter and stop nothing.
    let expected = match db.engine().await {
        common::Engine::MariaDb => {
            // Both SETs run on the same connection, so the pool gets it back as it was.
            db.exec(
                "SET SESSION check_constraint_checks = 0; \
                 INSERT INTO certyo_queue (table_name, record_id, op_type, payload) \
                 VALUES ('products', 'broken', 'insert', '{\"sku\": \"half'); \
                 SET SESSION check_constraint_checks = 1",
            )
            .await;
            "not valid JSON"
        }
        common::Engine::MySql => {
            db.exec(
                "INSERT INTO certyo_queue (table_name, record_id, op_type, payload) \
                 VALUES ('products', 'broken', 'insert', '[\"not\", \"an\", \"object\"]')",
            )
            .await;
            "not a JSON object"
        }
    };
    db.insert_products(50).await;
    let mut w = Worker::spawn("check", &db.url(), &emu.url(), &["--batch-size", "500"]);
    drained(&db, Duration::from_secs(30), &mut [&mut w]).await;
    assert_eq!(db.dead().await, 1);
    let why = reason(&db, "record_id = 'broken'").await;
    assert!(why.contains(expected), "{why}");
    assert_every_row_arrived_or_dead(&db, &emu).await;
    w.term();
    assert!(w.wait_exit(Duration::from_secs(30)).await.success());
    emu.stop().await;
    db.finish().await;
}

async fn assert_every_row_arrived_or_dead(db: &TestDb, emu: &EmulatorHandle) {
    let live: Vec<i64> = sqlx::query_scalar("SELECT id FROM certyo_queue WHERE dead_at IS NULL")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let got = emu.inspect().keys_received();
    assert!(live.iter().all(|id| got.contains(&format!("queue-{id}"))));
}

/// Queue state a refused start must leave exactly as it was.
async fn queue_state(db: &TestDb) -> (i64, i64, i64) {
    (
        db.pending().await,
        db.scalar("SELECT CAST(COALESCE(SUM(attempts), 0) AS SIGNED) FROM certyo_queue")
            .await,
        db.scalar(
            "SELECT COUNT(*) FROM certyo_queue WHERE lease_owner IS NOT NULL OR processed = 1",
        )
        .await,
    )
}

/// `work` against `db` with these extra flags and environment; must exit non-zero
/// with exactly one `error:` line containing `needle`, and write nothing.
async fn refused_work(
    db: &TestDb,
    emu: &EmulatorHandle,
    args: &[&str],
    env: &[(&str, &str)],
    needle: &str,
) {
    let before = queue_state(db).await;
    let url = db.url();
    let mut all = vec!["work", "--database-url", url.as_str(), "--no-scheduled"];
    all.extend_from_slice(args);
    let mut cmd = process::command(&all);
    cmd.env("CERTYO_BASE_URL", emu.url());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || process::run(cmd, Duration::from_secs(30)))
        .await
        .unwrap();
    assert_ne!(out.code, 0, "{needle}: must fail\n{}", out.stderr);
    let errors = out.error_lines();
    assert_eq!(errors.len(), 1, "one error line expected:\n{}", out.stderr);
    assert!(
        errors[0].contains(needle),
        "{needle:?} not in {:?}",
        errors[0]
    );
    assert_eq!(
        queue_state(db).await,
        before,
        "{needle}: the queue was touched"
    );
    assert_eq!(emu.totals().requests, 0, "{needle}: Certyo was called");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_exits_non_zero_with_one_line_and_writes_nothing() {
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig::default()).await;
    db.insert_products(20).await;
    let key = ("CERTYO_API_KEY", emulator::DEFAULT_API_KEY);
    let tenant = ("CERTYO_TENANT_ID", emulator::DEFAULT_TENANT_ID);

    refused_work(&db, &emu, &[], &[tenant], "CERTYO_API_KEY").await;
    refused_work(
        &db,
        &emu,
        &["--base-url", "not a url"],
        &[key, tenant],
        "CERTYO_BASE_URL",
    )
    .await;
    refused_work(
        &db,
        &emu,
        &["--base-url", "ftp://x"],
        &[key, tenant],
        "CERTYO_BASE_URL",
    )
    .await;

    // An unreachable database: nothing reaches Certyo either.
    let mut cmd = process::command(&[
        "work",
        "--database-url",
        "mysql://root:hush@127.0.0.1:1/shop",
        "--no-scheduled",
    ]);
    cmd.env("CERTYO_BASE_URL", emu.url())
        .env(key.0, key.1)
        .env(tenant.0, tenant.1);
    let out = tokio::task::spawn_blocking(move || process::run(cmd, Duration::from_secs(60)))
        .await
        .unwrap();
    assert_ne!(out.code, 0);
    assert_eq!(out.error_lines().len(), 1, "{}", out.stderr);
    assert!(
        out.error_lines()[0].contains("cannot connect to the database"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("hush"),
        "password leaked: {}",
        out.stderr
    );
    assert_eq!(emu.totals().requests, 0);

    // A malformed database URL.
    let out = process::run(
        process::command(&[
            "migrate",
            "--database-url",
            "mysql//nope",
            "--table",
            "products",
        ]),
        Duration::from_secs(30),
    );
    assert_ne!(out.code, 0);
    assert_eq!(out.error_lines().len(), 1, "{}", out.stderr);
    assert!(
        out.error_lines()[0].contains("--database-url"),
        "{}",
        out.stderr
    );

    emu.stop().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_an_unknown_table_exits_non_zero_and_changes_nothing() {
    let db = TestDb::empty().await;
    db.exec(&common::PRODUCTS_DDL).await;
    let url = db.url();
    let out = tokio::task::spawn_blocking(move || {
        process::run(
            process::command(&[
                "migrate",
                "--database-url",
                &url,
                "--table",
                "products",
                "--table",
                "nope",
            ]),
            Duration::from_secs(60),
        )
    })
    .await
    .unwrap();
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.error_lines().len(), 1, "{}", out.stderr);
    assert!(out.error_lines()[0].contains("nope"), "{}", out.stderr);
    let schema = &db.name;
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{schema}'"
        ))
        .await,
        1,
        "only `products` may exist: no queue table, no history table"
    );
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{schema}'"
        ))
        .await,
        0,
        "no trigger on `products`"
    );
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{schema}' AND TABLE_NAME = 'products'"
        ))
        .await,
        8,
        "no tracking columns on `products`"
    );
    db.finish().await;
}

/// The soak: CERTYO_SOAK_ROWS (default 1,000,000) rows inserted while two `work`
/// processes drain them, with cleanup and verification running on short intervals.
/// Minutes long: run by `scripts/soak.sh` (release build), not on every CI run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes long; run with scripts/soak.sh"]
async fn soak_a_million_rows_through_two_processes() {
    let rows: usize = std::env::var("CERTYO_SOAK_ROWS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let db = TestDb::with_products().await;
    let emu = emulator(EmulatorConfig {
        anchor_delay: Duration::from_secs(3),
        ..EmulatorConfig::default()
    })
    .await;
    let (url, api) = (db.url(), emu.url());
    let args = [
        "--concurrency",
        "8",
        "--batch-size",
        "500",
        "--lease",
        "30s",
        "--progress-interval",
        "10s",
        "--cleanup-interval",
        "5s",
        "--retention",
        "10s",
        "--verify-interval",
        "5s",
        "--verify-after",
        "5s",
        "--leader-check-interval",
        "2s",
    ];
    let mut workers = [
        Worker::spawn_with_scheduled("soak-a", &url, &api, &args),
        Worker::spawn_with_scheduled("soak-b", &url, &api, &args),
    ];
    let started = Instant::now();
    let mut rss: Vec<(u64, u64, u64)> = Vec::new();
    let mut last_sample = Instant::now() - Duration::from_secs(10);
    let mut sample = |workers: &mut [Worker; 2], rss: &mut Vec<(u64, u64, u64)>| {
        if last_sample.elapsed() >= Duration::from_secs(5) {
            last_sample = Instant::now();
            let s = (
                started.elapsed().as_secs(),
                workers[0].rss_kib().unwrap_or(0),
                workers[1].rss_kib().unwrap_or(0),
            );
            println!("soak: t={}s rss a={} KiB b={} KiB", s.0, s.1, s.2);
            rss.push(s);
        }
    };
    let mut inserted = 0;
    while inserted < rows {
        let n = 5000.min(rows - inserted);
        db.insert_products(n).await;
        inserted += n;
        for w in workers.iter_mut() {
            w.assert_running();
        }
        sample(&mut workers, &mut rss);
    }
    let inserted_in = started.elapsed();
    let deadline = Duration::from_secs(1800);
    while db.pending().await > 0 {
        for w in workers.iter_mut() {
            w.assert_running();
        }
        assert!(
            started.elapsed() < deadline,
            "soak not drained in {deadline:?}"
        );
        sample(&mut workers, &mut rss);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let drained_in = started.elapsed();

    assert_eq!(db.dead().await, 0);
    let totals = emu.totals();
    assert_eq!(
        totals.records as usize, rows,
        "every product arrived as a record"
    );
    // Write-back follows marking delivered, so it may trail by a moment.
    wait_until(
        Duration::from_secs(60),
        "every product written back",
        || async {
            db.scalar("SELECT COUNT(*) FROM products WHERE certyo_ingested_at IS NULL")
                .await
                == 0
        },
    )
    .await;
    let anchored = db
        .scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Anchored'")
        .await;
    let queue_left = db.scalar("SELECT COUNT(*) FROM certyo_queue").await;
    assert!(
        workers.iter().any(|w| w.stderr().contains("cleanup.run")),
        "cleanup never ran"
    );
    // Memory flat: the second half's peak within 1.5× (+32 MiB) of the first half's.
    let half = rss.len() / 2;
    for (i, name) in [(1usize, "a"), (2, "b")] {
        let pick = |s: &(u64, u64, u64)| if i == 1 { s.1 } else { s.2 };
        let first = rss[..half.max(1)].iter().map(pick).max().unwrap_or(0);
        let second = rss[half..].iter().map(pick).max().unwrap_or(0);
        assert!(
            second <= first * 3 / 2 + 32 * 1024,
            "worker {name} memory grew: first half peak {first} KiB, second half {second} KiB"
        );
    }
    println!(
        "soak: {rows} rows, 2 processes × 8, inserted in {inserted_in:?}, drained in {drained_in:?} \
         ({:.0} rows/s), {} versions accepted, {} replays, dead 0, lost 0, anchored {anchored}, \
         queue rows left after cleanup {queue_left}, rss samples {}",
        rows as f64 / drained_in.as_secs_f64(),
        totals.records_accepted,
        totals.replays,
        rss.len()
    );
    for w in workers.iter_mut() {
        w.term();
    }
    for w in workers.iter_mut() {
        assert!(w.wait_exit(Duration::from_secs(60)).await.success());
    }
    emu.stop().await;
    db.finish().await;
}
