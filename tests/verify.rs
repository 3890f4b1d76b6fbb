//! Verification against the emulator: Pending rows become Anchored once Certyo says so,
//! not-yet rows stay Pending with a backoff, timeouts become Failed, a row changed
//! since its delivery is never marked with the old version's result, and nothing the
//! verifier writes enqueues a change.
mod common;

use std::time::Duration;

use certyo_queue::certyo::{ApiError, CertyoClient, Record};
use certyo_queue::config::{ApiConfig, ApiKey};
use certyo_queue::emulator::{self, EmulatorConfig, EmulatorHandle};
use certyo_queue::migrate::{self, MigratePlan};
use certyo_queue::tasks::{TaskError, Verifier, VerifyConfig, VerifyReport};
use certyo_queue::writeback::{self, Delivered};
use common::{wait_until, TestDb};
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

const PRODUCTS: &str = "CREATE TABLE products (
    id INT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB";

struct Setup {
    db: TestDb,
    emu: EmulatorHandle,
    client: CertyoClient,
}

async fn setup(anchor_delay: Duration, rows: usize) -> Setup {
    let db = TestDb::new().await;
    db.exec(PRODUCTS).await;
    let plan = MigratePlan {
        tables: vec!["products".into()],
        ..MigratePlan::default()
    };
    migrate::run(&db.pool, &plan).await.unwrap();
    for i in 1..=rows {
        db.exec(&format!(
            "INSERT INTO products (name, updated_at) VALUES ('p{i}', '2020-01-01 00:00:00')"
        ))
        .await;
    }
    let emu = emulator::start(EmulatorConfig {
        anchor_delay,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = CertyoClient::new(
        ApiConfig {
            base_url: emu.url().parse().unwrap(),
            api_key: ApiKey::new(emulator::DEFAULT_API_KEY),
            tenant_id: emulator::DEFAULT_TENANT_ID.into(),
            database: db.name.clone(),
            request_timeout: Duration::from_secs(10),
        },
        None,
    )
    .unwrap();
    Setup { db, emu, client }
}

impl Setup {
    /// What the worker does for one product: send its latest queued version to Certyo,
    /// then write the delivery back onto the row (Pending, ingested now).
    async fn deliver(&self, id: i64) {
        let (queue_id, payload): (i64, String) = sqlx::query_as(
            "SELECT id, CAST(payload AS CHAR) FROM certyo_queue \
             WHERE table_name = 'products' AND record_id = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(id.to_string())
        .fetch_one(&self.db.pool)
        .await
        .unwrap();
        let ingested = self
            .client
            .ingest(&Record {
                tenant_id: emulator::DEFAULT_TENANT_ID.into(),
                database: self.db.name.clone(),
                collection: "products".into(),
                record_id: id.to_string(),
                record_payload: RawValue::from_string(payload).unwrap(),
                operation_type: "upsert".into(),
                source_timestamp: None,
                idempotency_key: format!("queue-{queue_id}"),
            })
            .await
            .unwrap();
        let report = writeback::write_back(
            &self.db.pool,
            &self.db.name,
            &[Delivered {
                queue_id,
                table: "products".into(),
                record_id: id.to_string(),
                record_hash: ingested.record_hash,
                payload_sha256: None,
            }],
        )
        .await
        .unwrap();
        assert_eq!(report.updated, 1);
    }

    fn verifier(&self, cfg: VerifyConfig) -> Verifier {
        Verifier::new(
            self.db.pool.clone(),
            self.client.clone(),
            self.db.name.clone(),
            cfg,
        )
        .unwrap()
    }

    /// certyo_anchor_status of products 1..=n, in id order ("-" for NULL).
    async fn statuses(&self) -> Vec<String> {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT certyo_anchor_status FROM products ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.unwrap_or_else(|| "-".into()))
        .collect()
    }

    async fn queue_len(&self) -> i64 {
        self.db.scalar("SELECT COUNT(*) FROM certyo_queue").await
    }

    async fn finish(self) {
        self.emu.stop().await;
        self.db.finish().await;
    }
}

fn immediate() -> VerifyConfig {
    VerifyConfig {
        verify_after: Duration::ZERO,
        anchor_timeout: Duration::from_secs(3600),
        ..VerifyConfig::default()
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[tokio::test]
async fn pending_rows_become_anchored_after_the_delay_and_nothing_is_enqueued() {
    let t = setup(Duration::from_millis(1500), 5).await;
    for id in 1..=3 {
        t.deliver(id).await;
    }
    let queued = t.queue_len().await;
    let verifier = t.verifier(immediate());
    let stop = CancellationToken::new();

    // Before the anchor delay: asked, not anchored, still Pending, checked again later.
    // (The push-back is a fraction of the row's age, milliseconds here: compare with the
    // time before the pass, not with the time of the check.)
    let before: String = sqlx::query_scalar("SELECT CAST(NOW(6) AS CHAR)")
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
    let first = verifier.run_once(&stop).await.unwrap();
    assert_eq!(
        (first.checked, first.not_yet, first.anchored, first.failed),
        (3, 3, 0, 0),
        "{first:?}"
    );
    assert_eq!(
        t.statuses().await,
        s(&["Pending", "Pending", "Pending", "-", "-"])
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM products WHERE certyo_verify_next_at > CAST(? AS DATETIME(6))"
        )
        .bind(&before)
        .fetch_one(&t.db.pool)
        .await
        .unwrap(),
        3,
        "each not-yet row has its next check pushed back"
    );

    wait_until(Duration::from_secs(15), "rows 1-3 anchored", || async {
        verifier.run_once(&stop).await.unwrap();
        t.statuses().await[..3] == s(&["Anchored"; 3])
    })
    .await;
    assert_eq!(
        t.db.scalar(
            "SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Anchored' \
             AND certyo_verified_at IS NOT NULL AND certyo_verify_next_at IS NULL"
        )
        .await,
        3
    );

    // A row delivered now is not anchored yet and stays Pending; undelivered rows are
    // never asked about.
    t.deliver(4).await;
    let queued_after_4 = t.queue_len().await;
    let r = verifier.run_once(&stop).await.unwrap();
    assert_eq!((r.checked, r.not_yet), (1, 1), "{r:?}");
    assert_eq!(
        t.statuses().await,
        s(&["Anchored", "Anchored", "Anchored", "Pending", "-"])
    );

    assert_eq!(queued, queued_after_4, "delivery enqueues nothing either");
    assert_eq!(t.queue_len().await, queued, "verification enqueued nothing");
    assert_eq!(
        t.db.scalar("SELECT COUNT(*) FROM products WHERE updated_at = '2020-01-01 00:00:00'")
            .await,
        5,
        "ON UPDATE CURRENT_TIMESTAMP columns did not move"
    );
    t.finish().await;
}

#[tokio::test]
async fn rows_not_anchored_by_the_timeout_are_marked_failed() {
    let t = setup(Duration::from_secs(3600), 3).await;
    for id in 1..=3 {
        t.deliver(id).await;
    }
    // Rows 1 and 2 were delivered two days ago (a tracking-only change: no new version).
    t.db.exec(
        "UPDATE products SET certyo_ingested_at = NOW(6) - INTERVAL 2 DAY WHERE id IN (1, 2)",
    )
    .await;
    let queued = t.queue_len().await;
    let verifier = t.verifier(VerifyConfig {
        verify_after: Duration::ZERO,
        ..VerifyConfig::default() // 24 h anchor timeout
    });
    let r = verifier.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!((r.checked, r.failed, r.not_yet), (3, 2, 1), "{r:?}");
    assert_eq!(t.statuses().await, s(&["Failed", "Failed", "Pending"]));
    assert_eq!(t.queue_len().await, queued);

    // Failed rows are not asked about again.
    let again = verifier.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!(again.failed, 0, "{again:?}");
    assert!(again.checked <= 1, "{again:?}");
    t.finish().await;
}

#[tokio::test]
async fn a_row_changed_after_delivery_is_not_verified_for_its_old_version() {
    let t = setup(Duration::ZERO, 3).await;
    for id in 1..=3 {
        t.deliver(id).await;
    }
    // Row 1 changes: the capture trigger clears its tracking state and queues it again.
    let queued = t.queue_len().await;
    t.db.exec("UPDATE products SET name = 'changed' WHERE id = 1")
        .await;
    assert_eq!(t.queue_len().await, queued + 1);

    // Row 2 changes while its verification is in flight: the change is made in an open
    // transaction, so the verifier still reads the delivered version, asks Certyo about
    // it, and its write-back meets the new version once the change commits.
    let mut change = t.db.pool.begin().await.unwrap();
    sqlx::query("UPDATE products SET name = 'changed too' WHERE id = 2")
        .execute(&mut *change)
        .await
        .unwrap();
    let verifier = t.verifier(immediate());
    let round = tokio::spawn({
        let v = verifier.clone();
        async move { v.run_once(&CancellationToken::new()).await }
    });
    wait_until(
        Duration::from_secs(5),
        "Certyo answered about rows 2 and 3",
        || async {
            t.emu
                .totals()
                .requests_by_status
                .get(&200)
                .copied()
                .unwrap_or(0)
                >= 2
        },
    )
    .await;
    change.commit().await.unwrap();
    let r: VerifyReport = round.await.unwrap().unwrap();

    assert_eq!(t.statuses().await, s(&["-", "-", "Anchored"]), "{r:?}");
    assert_eq!(r.checked, 2, "row 1 was not asked about: {r:?}");
    assert_eq!(r.superseded, 1, "{r:?}");
    t.finish().await;
}

#[tokio::test]
async fn refused_credentials_stop_the_round_and_leave_rows_pending() {
    let t = setup(Duration::ZERO, 2).await;
    for id in 1..=2 {
        t.deliver(id).await;
    }
    t.emu.set_api_key("certyo_sk_test_rotated");
    let err = t
        .verifier(immediate())
        .run_once(&CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, TaskError::Api(ApiError::Auth { status: 401, .. })),
        "{err:?}"
    );
    assert_eq!(t.statuses().await, s(&["Pending", "Pending"]));
    assert_eq!(
        t.db.scalar("SELECT COUNT(*) FROM products WHERE certyo_verify_next_at IS NOT NULL")
            .await,
        0,
        "no backoff recorded for rows that were not answered"
    );
    t.finish().await;
}

#[tokio::test]
async fn server_errors_leave_rows_for_the_next_round() {
    let t = setup(Duration::ZERO, 4).await;
    for id in 1..=4 {
        t.deliver(id).await;
    }
    t.emu.set_fail_rate(1.0);
    let verifier = t.verifier(VerifyConfig {
        concurrency: 1,
        ..immediate()
    });
    let r = verifier.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!(r.anchored, 0);
    assert_eq!(
        r.retry_later, 3,
        "three failures in a row end the round: {r:?}"
    );
    assert_eq!(t.statuses().await, s(&["Pending"; 4]));

    t.emu.set_fail_rate(0.0);
    let r = verifier.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!(r.anchored, 4, "{r:?}");
    t.finish().await;
}

/// One-shot `verify` runs rounds until no row is due: 1,200 delivered rows with a
/// round size of 500 are all checked and anchored by one command, with progress lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_verify_runs_until_nothing_is_due() {
    let db = common::TestDb::with_products().await;
    db.insert_products(1200).await;
    let emu = emulator::start(EmulatorConfig {
        anchor_delay: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let mut w = common::process::Worker::spawn("verify-all", &db.url(), &emu.url(), &[]);
    wait_until(Duration::from_secs(60), "1200 rows Pending", || async {
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending'")
            .await
            == 1200
    })
    .await;
    w.term();
    assert!(w.wait_exit(Duration::from_secs(30)).await.success());

    let mut cmd =
        common::process::command(&["verify", "--verify-after", "0s", "--verify-batch", "500"]);
    cmd.env("DATABASE_URL", db.url())
        .env("CERTYO_BASE_URL", emu.url())
        .env("CERTYO_API_KEY", emulator::DEFAULT_API_KEY)
        .env("CERTYO_TENANT_ID", emulator::DEFAULT_TENANT_ID);
    let out =
        tokio::task::spawn_blocking(move || common::process::run(cmd, Duration::from_secs(120)))
            .await
            .unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("1200 rows checked") && out.stdout.contains("1200 anchored"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("round 3:"), "{}", out.stderr);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Anchored'")
            .await,
        1200
    );
    emu.stop().await;
    db.finish().await;
}
