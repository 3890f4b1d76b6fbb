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
