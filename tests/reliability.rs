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
            .scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND lease_owner IS NOT NULL")
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

    assert_eq!(db.dead().await, 0, "no row may die from its worker being killed");
    assert_every_row_arrived(&db, &emu).await;
    let totals = emu.totals();
    println!(
        "kill -9: 20000 rows, {} kills (ms after progress, pending, leased at kill: {kills:?}), \
         {} versions accepted, {} replays, max attempts {}, lost 0, {elapsed:?}",
        kills.len(),
        totals.records_accepted,
        totals.replays,
        db.scalar("SELECT CAST(MAX(attempts) AS SIGNED) FROM certyo_queue").await
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
        assert!(t.elapsed() < Duration::from_secs(60), "no progress under a 30 % fail rate:\n{}", tail(&w.stderr(), 30));
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
    // Backoff doubles from 100 ms to 4 s (jitter ×0.5–1): a 20 s outage costs a row at
    // most ~16 attempts, the fail-rate and rate-limit phases a few more. A worker that
    // retried without backing off would spend hundreds.
    assert!(
        attempts <= 25,
        "attempts must stay bounded: a row took {attempts}"
    );
    println!(
        "faults: 4000 rows, {} × 500, {during_outage} × 503 over a {OUTAGE:?} outage, {} × 429; \
         max attempts {attempts}, dead 0, lost 0, {elapsed:?}",
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
        with_retry("insert products", || sqlx::raw_sql(&sql).execute(pool)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_restarted_underneath_running_workers_loses_nothing() {
    let mut server = process::ThrowawayMariaDb::start().await;
    let url = server.url();
    let cfg = certyo_queue::config::DbConfig::parse(&url).unwrap();
    let pool = certyo_queue::db::connect(&cfg, 4).await.expect("connect to the throwaway server");
    sqlx::raw_sql(common::PRODUCTS_DDL).execute(&pool).await.unwrap();
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
            assert!(t.elapsed() < Duration::from_secs(60), "round {round}: no progress:\n{}", tail(&a.stderr(), 30));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let pending = count_on(&pool, PENDING).await;
        assert!(pending > 0, "round {round}: the restart must come mid-drain");
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
    let dead = count_on(&pool, "SELECT COUNT(*) FROM certyo_queue WHERE dead_at IS NOT NULL").await;
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
    assert!(missing.is_empty(), "{} rows never reached Certyo, e.g. {:?}", missing.len(), &missing[..missing.len().min(10)]);
    assert!(
        ids.len() >= inserted,
        "{} queue rows for {inserted} inserted products: committed changes were lost",
        ids.len()
    );
    let recovered = a.stderr().contains("queue.claim_recovered") || b.stderr().contains("queue.claim_recovered");
    assert!(recovered, "the workers never logged that they saw the database again");
    println!(
        "mysql restart: {} rows, 2 workers, restarts (signal, pending at restart) {restarts:?}, \
         replays {}, dead 0, lost 0, {elapsed:?}",
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
