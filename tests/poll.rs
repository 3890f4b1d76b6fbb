//! Capture by polling (`migrate --capture poll`): the refusals, payloads identical to
//! the triggers', the poller under concurrent writers (a long transaction with an
//! older stamp, rows sharing a stamp), a kill -9 of the poll leader, write-back and
//! verification not polled again, status and backfill, and switching a table between
//! triggers and polling under load. Real servers, the emulator over real HTTP.
mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use certyo_queue::capture::registry::Source;
use certyo_queue::emulator::{self, EmulatorConfig, EmulatorHandle};
use certyo_queue::migrate::{self, MigratePlan};
use certyo_queue::tasks::{PollConfig, Poller};
use common::process::{self, Worker};
use common::{api_config, worker_config, RunningWorker, TestDb};
use tokio_util::sync::CancellationToken;

/// Second-precision stamps, so many rows share one.
const ITEMS: &str = "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, \
    qty BIGINT NOT NULL, \
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, \
    INDEX items_updated (updated_at))";

fn poll_plan(table: &str) -> MigratePlan {
    MigratePlan {
        tables: vec![table.to_string()],
        capture: Some(Source::Poll),
        ..MigratePlan::default()
    }
}

async fn polled_items() -> TestDb {
    let db = TestDb::new().await;
    db.exec(ITEMS).await;
    migrate::run(&db.pool, &poll_plan("items"))
        .await
        .expect("migrate --capture poll");
    db
}

fn poller(db: &TestDb, lag: Duration, batch: usize) -> Poller {
    Poller::new(
        db.pool.clone(),
        db.name.clone(),
        PollConfig {
            lag,
            batch,
            ..PollConfig::default()
        },
    )
    .expect("poller settings")
}

/// Run poll rounds every 50 ms until `stop`.
fn poll_loop(p: Poller, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.is_cancelled() {
            if let Err(e) = p.run_once(&stop).await {
                panic!("poll round failed: {e}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

async fn emulator() -> EmulatorHandle {
    emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

/// (id, name, qty) of every row.
async fn rows(db: &TestDb) -> Vec<(i64, String, i64)> {
    sqlx::query_as("SELECT CAST(id AS SIGNED), name, qty FROM items ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

/// Rows whose latest version at the API is not their current content.
async fn not_delivered(db: &TestDb, emu: &EmulatorHandle) -> Vec<i64> {
    let seen = emu.inspect();
    let mut missing = Vec::new();
    for (id, name, qty) in rows(db).await {
        let ok = seen
            .record("items", &id.to_string())
            .and_then(|r| r.latest())
            .is_some_and(|v| v.payload["name"] == name.as_str() && v.payload["qty"] == qty);
        if !ok {
            missing.push(id);
        }
    }
    missing
}

/// Every row's final version reaches the API (within `within`).
async fn final_versions_arrive(db: &TestDb, emu: &EmulatorHandle, within: Duration) {
    let start = Instant::now();
    loop {
        let missing = not_delivered(db, emu).await;
        if missing.is_empty() {
            return;
        }
        if start.elapsed() > within {
            panic!(
                "{} rows' final versions never reached the API, e.g. {:?}",
                missing.len(),
                &missing[..missing.len().min(10)]
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// No version of a record reached the API twice under different keys. Every write in
/// these tests makes new content, so two versions with one payload are one version
/// sent twice.
fn no_version_twice(emu: &EmulatorHandle) {
    let seen = emu.inspect();
    for rec in &seen.records {
        let mut payloads: HashMap<String, &Option<String>> = HashMap::new();
        for v in &rec.versions {
            if let Some(first) = payloads.insert(v.payload.to_string(), &v.idempotency_key) {
                panic!(
                    "record {} got the version {} twice, under {:?} and {:?}",
                    rec.record_id, v.payload, first, v.idempotency_key
                );
            }
        }
    }
}

fn one_error_line(out: &process::Output) -> String {
    let lines = out.error_lines();
    assert_eq!(lines.len(), 1, "one error line expected:\n{}", out.stderr);
    assert_eq!(out.code, 1, "{}", out.stderr);
    lines[0].to_string()
}

fn migrate_cli(db: &TestDb, args: &[&str]) -> process::Output {
    let url = db.url();
    let mut all = vec!["migrate", "--database-url", url.as_str()];
    all.extend_from_slice(args);
    process::run(process::command(&all), Duration::from_secs(60))
}

#[tokio::test]
async fn migrate_capture_poll_refuses_columns_that_cannot_see_every_change_and_sets_up_the_rest() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE nostamp (id INT PRIMARY KEY, qty INT)")
        .await;
    db.exec("CREATE TABLE manual (id INT PRIMARY KEY, changed DATETIME(3) NULL, INDEX (changed))")
        .await;
    db.exec("CREATE TABLE noidx (id INT PRIMARY KEY, updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6))")
        .await;

    let e = one_error_line(&migrate_cli(
        &db,
        &["--table", "nostamp", "--capture", "poll"],
    ));
    assert!(
        e.contains("no column `updated_at` to poll") && e.contains("--poll-column"),
        "{e}"
    );
    let e = one_error_line(&migrate_cli(
        &db,
        &[
            "--table",
            "nostamp",
            "--capture",
            "poll",
            "--poll-column",
            "qty",
        ],
    ));
    assert!(
        e.contains("`qty` is int") && e.contains("TIMESTAMP or DATETIME"),
        "{e}"
    );
    let e = one_error_line(&migrate_cli(
        &db,
        &[
            "--table",
            "manual",
            "--capture",
            "poll",
            "--poll-column",
            "changed",
        ],
    ));
    assert!(
        e.contains("not maintained on update") && e.contains("--poll-column-trusted"),
        "{e}"
    );
    let e = one_error_line(&migrate_cli(
        &db,
        &["--table", "noidx", "--capture", "poll"],
    ));
    assert!(
        e.contains("create it with `CREATE INDEX certyo_poll ON `noidx` (`updated_at`)`")
            && e.contains("--create-index"),
        "{e}"
    );
    let e = one_error_line(&migrate_cli(
        &db,
        &["--table", "noidx", "--poll-column", "x"],
    ));
    assert!(e.contains("captured by triggers"), "{e}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME LIKE 'certyo\\_%' AND TABLE_NAME IN ('nostamp', 'manual', 'noidx')").await,
        0,
        "a refusal changes nothing"
    );

    // The way out each message names works.
    let ok = migrate_cli(
        &db,
        &[
            "--table",
            "manual",
            "--capture",
            "poll",
            "--poll-column",
            "changed",
            "--poll-column-trusted",
        ],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stdout.contains("manual: capture by polling set up"),
        "{}",
        ok.stdout
    );
    let ok = migrate_cli(
        &db,
        &["--table", "noidx", "--capture", "poll", "--create-index"],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'noidx' AND INDEX_NAME = 'certyo_poll' AND COLUMN_NAME = 'updated_at' AND SEQ_IN_INDEX = 1").await,
        1
    );
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
        )
        .await,
        0,
        "polling needs no trigger"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'noidx' AND COLUMN_NAME = 'certyo_anchor_status'").await,
        1,
        "tracking columns added as for triggers"
    );
    let registered: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS CHAR), CAST(source AS CHAR), CAST(options AS CHAR) FROM certyo_capture ORDER BY table_name",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(registered.len(), 2, "{registered:?}");
    assert_eq!(registered[0].0, "manual");
    assert_eq!(registered[0].1, "poll");
    assert!(registered[0].2.contains("\"changed\""), "{registered:?}");
    assert!(registered[1].2.contains("\"updated_at\""), "{registered:?}");
    let again = migrate_cli(&db, &["--table", "noidx"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains("noidx: captured by polling, up to date"),
        "a plain re-run keeps the table polled: {}",
        again.stdout
    );
    let gone = migrate_cli(&db, &["--uncapture", "manual"]);
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    assert!(
        gone.stdout.contains("manual: capture removed"),
        "{}",
        gone.stdout
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_capture_poll WHERE table_name = 'manual'")
            .await
            + db.scalar("SELECT COUNT(*) FROM certyo_capture WHERE table_name = 'manual'")
                .await,
        0,
        "uncapture forgets the registry entry and the checkpoint"
    );
    db.finish().await;
}

#[tokio::test]
async fn polled_payloads_and_record_ids_are_the_triggers_own() {
    let db = TestDb::new().await;
    let ddl = |t: &str| {
        format!(
            "CREATE TABLE {t} (region VARCHAR(8) CHARACTER SET latin1 NOT NULL, id BIGINT UNSIGNED NOT NULL, \
             price DECIMAL(12,3), ratio DOUBLE, f FLOAT, d DATE, dt DATETIME(3), tm TIME(2), y YEAR, \
             flags BIT(5), e ENUM('a','b'), st SET('x','y','z'), note TEXT, raw VARBINARY(16), doc JSON, \
             updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), \
             PRIMARY KEY (region, id), INDEX (updated_at))"
        )
    };
    db.exec(&ddl("t_trig")).await;
    db.exec(&ddl("t_poll")).await;
    migrate::run(
        &db.pool,
        &MigratePlan {
            tables: vec!["t_trig".into()],
            ..MigratePlan::default()
        },
    )
    .await
    .unwrap();
    migrate::run(&db.pool, &poll_plan("t_poll")).await.unwrap();
    db.exec(
        "INSERT INTO t_trig (region, id, price, ratio, f, d, dt, tm, y, flags, e, st, note, raw, doc) VALUES \
         ('Café', 18446744073709551615, 12.5, 0.1, 0.1, '2026-01-02', '2026-01-02 03:04:05.123', '-12:00:01.5', 2026, b'10101', 'b', 'x,z', 'line\nbreak \"q\"', X'00FF10', '{\"a\": [1.5, \"x\"], \"b\": 1}'), \
         ('eu', 1, NULL, 1e16, 16777216, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    )
    .await;
    db.exec("INSERT INTO t_poll SELECT * FROM t_trig").await;
    let p = poller(&db, Duration::from_secs(5), 100);
    let report = p.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!(report.enqueued, 2, "{report:?}");

    let queued = |table: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_as::<_, (String, String, String)>(
                "SELECT CAST(record_id AS CHAR), CAST(op_type AS CHAR), CAST(payload AS CHAR) FROM certyo_queue WHERE table_name = ? ORDER BY record_id",
            )
            .bind(table)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let trig = queued("t_trig").await;
    let polled = queued("t_poll").await;
    assert_eq!(trig.len(), 2);
    assert_eq!(polled.len(), 2);
    for (t, p) in trig.iter().zip(&polled) {
        assert_eq!(t.0, p.0, "same record id");
        assert_eq!(p.1, "upsert");
        assert_eq!(t.2, p.2, "same payload text for record {}", t.0);
    }
    assert!(trig[0].0.starts_with("[\"Caf"), "{trig:?}");
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_a_late_committing_older_stamp_and_shared_stamps_lose_no_change() {
    let db = polled_items().await;
    let emu = emulator().await;
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(2),
    );
    let stop = CancellationToken::new();
    // The window (8 s) outlasts the long transaction (4 s).
    // Pages of 10 rows: a page ends inside a second that many rows share.
    let polling = poll_loop(poller(&db, Duration::from_secs(8), 10), stop.clone());

    // A transaction that stamps its rows now and commits 4 s later, after many rows
    // stamped later than it have been polled.
    let long = {
        let pool = db.pool.clone();
        tokio::spawn(async move {
            let mut tx = pool.begin().await.unwrap();
            for id in 900_000..900_020 {
                sqlx::query("INSERT INTO items (id, name, qty) VALUES (?, 'long', ?)")
                    .bind(id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tokio::time::sleep(Duration::from_secs(4)).await;
            tx.commit().await.unwrap();
        })
    };
    let counter = Arc::new(AtomicI64::new(1));
    let mut writers = Vec::new();
    for w in 0..3i64 {
        let pool = db.pool.clone();
        let counter = counter.clone();
        writers.push(tokio::spawn(async move {
            let start = Instant::now();
            let mut n = 0i64;
            while start.elapsed() < Duration::from_secs(6) {
                let id = w * 100_000 + n;
                let v = counter.fetch_add(1, Ordering::SeqCst);
                sqlx::query("INSERT INTO items (id, name, qty) VALUES (?, 'new', ?)")
                    .bind(id)
                    .bind(v)
                    .execute(&pool)
                    .await
                    .unwrap();
                if n > 0 {
                    // An update of an earlier row, often within the same second.
                    let v = counter.fetch_add(1, Ordering::SeqCst);
                    sqlx::query("UPDATE items SET qty = ?, name = 'updated' WHERE id = ?")
                        .bind(v)
                        .bind(w * 100_000 + fastrand::i64(0..n))
                        .execute(&pool)
                        .await
                        .unwrap();
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    for t in writers {
        t.await.unwrap();
    }
    long.await.unwrap();
    final_versions_arrive(&db, &emu, Duration::from_secs(60)).await;
    stop.cancel();
    polling.await.unwrap();
    assert!(w.stop().await);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM items WHERE name = 'long'")
            .await,
        20
    );
    no_version_twice(&emu);
    let shared: i64 = db
        .scalar("SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM items GROUP BY updated_at) s")
        .await;
    assert!(
        shared > 10,
        "more rows shared a stamp than fit in a page (at most {shared} per second)"
    );
    emu.stop().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_the_poll_leader_neither_skips_nor_doubles_a_change() {
    let db = polled_items().await;
    let emu = emulator().await;
    let url = db.url();
    let args = [
        "--capture-poll-batch",
        "20",
        "--capture-poll-interval",
        "100ms",
        "--leader-check-interval",
        "1s",
    ];
    let mut a = Worker::spawn_with_scheduled("poll-a", &url, &emu.url(), &args);
    let mut b = Worker::spawn_with_scheduled("poll-b", &url, &emu.url(), &args);
    let leads = |w: &Worker| {
        w.stderr()
            .lines()
            .any(|l| l.contains("leader.elected") && l.contains("certyo_queue.poll."))
    };
    let mut next = 0i64;
    let mut killed = false;
    let start = Instant::now();
    while next < 4000 {
        let values: Vec<String> = (next..next + 50)
            .map(|i| format!("({i}, 'k', {i})"))
            .collect();
        db.exec(&format!(
            "INSERT INTO items (id, name, qty) VALUES {}",
            values.join(",")
        ))
        .await;
        next += 50;
        if !killed && next >= 1500 {
            common::wait_until(Duration::from_secs(30), "a poll leader", || async {
                leads(&a) || leads(&b)
            })
            .await;
            if leads(&a) {
                a.kill9();
            } else {
                b.kill9();
            }
            killed = true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(killed, "the leader was killed mid-run");
    let survivor = if a.is_running() { &mut a } else { &mut b };
    let deadline = Instant::now() + Duration::from_secs(90);
    while !not_delivered(&db, &emu).await.is_empty() {
        if Instant::now() > deadline {
            let err = survivor.stderr();
            let tail: Vec<&str> = err
                .lines()
                .filter(|l| !l.contains("worker.progress"))
                .rev()
                .take(40)
                .collect();
            panic!(
                "{} rows never reached the API; the survivor's log ends:\n{}",
                not_delivered(&db, &emu).await.len(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    survivor.assert_running();
    assert!(leads(survivor), "the survivor took the poll job over");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        4000,
        "each insert enqueued exactly once (started {:?} ago)",
        start.elapsed()
    );
    assert_eq!(emu.inspect().records.len(), 4000);
    no_version_twice(&emu);
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn write_back_and_verification_are_not_polled_again_and_status_backfill_and_lag_work() {
    let db = TestDb::new().await;
    db.exec(ITEMS).await;
    db.exec("INSERT INTO items (id, name, qty) VALUES (1, 'old', 1), (2, 'old', 2)")
        .await;
    // TIMESTAMP(0) rounds to the second: keep the old rows clear of the floor (now - 1 s).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    migrate::run(&db.pool, &poll_plan("items")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let values: Vec<String> = (10..20).map(|i| format!("({i}, 'n', {i})")).collect();
    db.exec(&format!(
        "INSERT INTO items (id, name, qty) VALUES {}",
        values.join(",")
    ))
    .await;
    let _ = certyo_queue::telemetry::recorder();
    // A window of a minute: every row is re-read by every round below.
    let p = poller(&db, Duration::from_secs(60), 4);
    let r = p.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!(
        r.enqueued, 10,
        "rows from before migrate are backfill's: {r:?}"
    );
    assert!(r.pages >= 3, "pages of 4 rows: {r:?}");
    // The recorder is process-wide and other tests of this binary poll tables named
    // `items` too: read the gauge right after a caught-up round of our own, a few times.
    let lag = || {
        let metrics = certyo_queue::telemetry::recorder()
            .map(|h| h.render())
            .unwrap_or_default();
        metrics
            .lines()
            .find(|l| {
                l.starts_with("certyo_capture_lag_seconds{")
                    && l.contains("table=\"items\"")
                    && l.contains("source=\"poll\"")
            })
            .map(String::from)
            .unwrap_or_else(|| panic!("no lag gauge for items:\n{metrics}"))
    };
    let mut gauge = lag();
    for _ in 0..20 {
        if gauge.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) == Some(0.0) {
            break;
        }
        p.run_once(&CancellationToken::new()).await.unwrap();
        gauge = lag();
    }
    assert_eq!(
        gauge.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()),
        Some(0.0),
        "caught up: lag 0: {gauge}"
    );

    let stamps = |db: &TestDb| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_as::<_, (i32, String)>(
                "SELECT id, CAST(updated_at AS CHAR) FROM items ORDER BY id",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let before = stamps(&db).await;
    let emu = emulator::start(EmulatorConfig {
        anchor_delay: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(2),
    );
    common::wait_until(Duration::from_secs(30), "10 rows written back", || async {
        db.scalar("SELECT COUNT(*) FROM items WHERE certyo_anchor_status = 'Pending'")
            .await
            == 10
    })
    .await;
    assert!(w.stop().await);
    for _ in 0..3 {
        assert_eq!(
            p.run_once(&CancellationToken::new())
                .await
                .unwrap()
                .enqueued,
            0,
            "a write-back is not a change"
        );
    }
    let client =
        certyo_queue::certyo::CertyoClient::new(api_config(&emu.url(), &db.name), None).unwrap();
    let verifier = certyo_queue::tasks::Verifier::new(
        db.pool.clone(),
        client,
        db.name.clone(),
        certyo_queue::tasks::VerifyConfig {
            verify_after: Duration::ZERO,
            ..Default::default()
        },
    )
    .unwrap();
    let v = verifier.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!(v.anchored, 10, "{v:?}");
    assert_eq!(
        p.run_once(&CancellationToken::new())
            .await
            .unwrap()
            .enqueued,
        0,
        "verification is not a change"
    );
    assert_eq!(stamps(&db).await, before, "updated_at never moved");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 10);

    // A real change after all that is polled.
    db.exec("UPDATE items SET qty = 99 WHERE id = 10").await;
    assert_eq!(
        p.run_once(&CancellationToken::new())
            .await
            .unwrap()
            .enqueued,
        1
    );

    let status = certyo_queue::ops::status::collect(&db.pool, &db.name, &["items".to_string()])
        .await
        .unwrap();
    let t = &status.tables[0];
    assert_eq!(t.source.as_deref(), Some("poll"));
    let poll = t.poll.as_ref().expect("poll checkpoint shown");
    assert_eq!(poll.column, "updated_at");
    assert_eq!(poll.rows_enqueued, 11);
    assert!(!poll.deletes_captured);
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    let text = certyo_queue::ops::status::render_text(&status);
    assert!(
        text.contains("captured by polling `updated_at`")
            && text.contains("deletes are NOT captured"),
        "{text}"
    );

    let report = certyo_queue::ops::backfill::run(
        &db.pool,
        &db.name,
        "items",
        &Default::default(),
        &CancellationToken::new(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.enqueued_now, 12, "history before the checkpoint");
    let old: HashSet<String> = sqlx::query_scalar(
        "SELECT CAST(record_id AS CHAR) FROM certyo_queue WHERE op_type = 'upsert' AND record_id IN ('1', '2')",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(old.len(), 2);
    emu.stop().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn switching_between_triggers_and_polling_under_load_loses_no_change() {
    let db = TestDb::new().await;
    db.exec(ITEMS).await;
    let values: Vec<String> = (0..200).map(|i| format!("({i}, 'seed', {i})")).collect();
    db.exec(&format!(
        "INSERT INTO items (id, name, qty) VALUES {}",
        values.join(",")
    ))
    .await;
    migrate::run(
        &db.pool,
        &MigratePlan {
            tables: vec!["items".into()],
            ..MigratePlan::default()
        },
    )
    .await
    .unwrap();
    // Triggers see changes from here on; the seed rows' history is backfill's.
    db.exec("UPDATE items SET qty = qty + 1000000, name = 'start'")
        .await;
    let emu = emulator().await;
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(2),
    );
    let stop = CancellationToken::new();
    let polling = poll_loop(poller(&db, Duration::from_secs(5), 50), stop.clone());
    let counter = Arc::new(AtomicI64::new(1));
    let mut writers = Vec::new();
    for wr in 0..2i64 {
        let pool = db.pool.clone();
        let counter = counter.clone();
        writers.push(tokio::spawn(async move {
            let start = Instant::now();
            let mut n = 0i64;
            while start.elapsed() < Duration::from_secs(8) {
                let v = counter.fetch_add(1, Ordering::SeqCst);
                sqlx::query("UPDATE items SET qty = ?, name = 'w' WHERE id = ?")
                    .bind(v)
                    .bind(fastrand::i64(0..200))
                    .execute(&pool)
                    .await
                    .unwrap();
                let v = counter.fetch_add(1, Ordering::SeqCst);
                sqlx::query("INSERT INTO items (id, name, qty) VALUES (?, 'i', ?)")
                    .bind(1000 + wr * 100_000 + n)
                    .bind(v)
                    .execute(&pool)
                    .await
                    .unwrap();
                n += 1;
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let to_poll = migrate::run(&db.pool, &poll_plan("items")).await.unwrap();
    assert_eq!(
        to_poll.tables[0].action,
        migrate::TableAction::SwitchedToPoll
    );
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
        )
        .await,
        0
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let to_trigger = migrate::run(
        &db.pool,
        &MigratePlan {
            tables: vec!["items".into()],
            capture: Some(Source::Trigger),
            ..MigratePlan::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        to_trigger.tables[0].action,
        migrate::TableAction::SwitchedToTrigger
    );
    for t in writers {
        t.await.unwrap();
    }
    final_versions_arrive(&db, &emu, Duration::from_secs(60)).await;
    stop.cancel();
    polling.await.unwrap();
    assert!(w.stop().await);
    no_version_twice(&emu);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_capture_poll").await,
        0,
        "the poll checkpoint goes with the switch back"
    );
    emu.stop().await;
    db.finish().await;
}

/// The README's GRANTs for a polled table: the migrate user needs no TRIGGER (nor
/// LOCK TABLES for a fresh table); the work user needs SELECT on the table (plus the
/// write-back's UPDATE), INSERT on the queue and the poll bookkeeping.
const POLL_MIGRATE_GRANTS: &[&str] =
    &["GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `{db}`.* TO {user}"];
const POLL_WORK_GRANTS: &[&str] = &[
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `{db}`.`certyo_queue` TO {user}",
    "GRANT SELECT ON `{db}`.`certyo_queue_schema_history` TO {user}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `{db}`.`certyo_writeback_due` TO {user}",
    "GRANT SELECT ON `{db}`.`certyo_capture` TO {user}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `{db}`.`certyo_capture_poll` TO {user}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `{db}`.`certyo_capture_poll_seen` TO {user}",
    "GRANT SELECT, UPDATE ON `{db}`.`items` TO {user}",
];

async fn create_user(db: &TestDb, name: &str, grants: &[&str]) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_runs_with_exactly_the_documented_grants_and_no_trigger_privilege() {
    let db = TestDb::new().await;
    db.exec(ITEMS).await;
    let suffix = db.name.trim_start_matches("cq_");
    let (m, w) = (format!("cpm_{suffix}"), format!("cpw_{suffix}"));
    let migrate_url = create_user(&db, &m, POLL_MIGRATE_GRANTS).await;
    let out = process::run(
        process::command(&[
            "migrate",
            "--database-url",
            &migrate_url,
            "--table",
            "items",
            "--capture",
            "poll",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(
        out.code, 0,
        "migrate --capture poll without TRIGGER:\n{}",
        out.stderr
    );
    let work_url = create_user(&db, &w, POLL_WORK_GRANTS).await;
    let emu = emulator().await;
    let mut work = Worker::spawn_with_scheduled(
        "poll-grants",
        &work_url,
        &emu.url(),
        &["--leader-check-interval", "1s", "--log-format", "json"],
    );
    let values: Vec<String> = (0..30).map(|i| format!("({i}, 'g', {i})")).collect();
    db.exec(&format!(
        "INSERT INTO items (id, name, qty) VALUES {}",
        values.join(",")
    ))
    .await;
    final_versions_arrive(&db, &emu, Duration::from_secs(60)).await;
    common::wait_until(Duration::from_secs(30), "30 rows written back", || async {
        db.scalar("SELECT COUNT(*) FROM items WHERE certyo_anchor_status = 'Pending'")
            .await
            == 30
    })
    .await;
    work.assert_running();
    let log = work.stderr();
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("denied") || l.contains("\"level\":\"error\"")
        })
        .collect();
    assert!(bad.is_empty(), "work logged:\n{}", bad.join("\n"));
    work.kill9();
    emu.stop().await;
    drop_user(&db, &m).await;
    drop_user(&db, &w).await;
    db.finish().await;
}
