//! One leader per scheduled job across processes: several schedulers on one database
//! run each job in one of them only, and a stopped, killed or disconnected leader is
//! replaced. (Each scheduler has its own pool and lock connection, as separate
//! processes would.)
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use certyo_queue::certyo::CertyoClient;
use certyo_queue::config::{ApiConfig, ApiKey};
use certyo_queue::leader::lock_name;
use certyo_queue::tasks::{ScheduleConfig, Scheduler, SchedulerStats};
use common::{wait_until, TestDb};
use sqlx::mysql::MySqlPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const INTERVAL: Duration = Duration::from_millis(150);
const CHECK: Duration = Duration::from_millis(50);

fn fast() -> ScheduleConfig {
    ScheduleConfig {
        cleanup_interval: INTERVAL,
        verify_interval: INTERVAL,
        leader_check: CHECK,
        ..ScheduleConfig::default()
    }
}

/// A Certyo client that is never called: these databases capture no tables, so a
/// verification round reads nothing and asks nothing.
fn client(db: &TestDb) -> CertyoClient {
    CertyoClient::new(
        ApiConfig {
            base_url: "http://127.0.0.1:9".parse().unwrap(),
            api_key: ApiKey::new("certyo_sk_test_unused"),
            tenant_id: "t".into(),
            database: db.name.clone(),
            request_timeout: Duration::from_secs(1),
        },
        None,
    )
    .unwrap()
}

struct Proc {
    stats: Arc<SchedulerStats>,
    stop: CancellationToken,
    handle: JoinHandle<()>,
    pool: MySqlPool,
}

/// A scheduler with its own pool, like another `work` process.
async fn start(db: &TestDb) -> Proc {
    let pool = certyo_queue::db::connect(&db.cfg, 4).await.unwrap();
    let scheduler = Scheduler::new(pool.clone(), Some(client(db)), fast()).unwrap();
    let stats = scheduler.stats();
    let stop = CancellationToken::new();
    let handle = tokio::spawn(scheduler.run(stop.clone()));
    Proc {
        stats,
        stop,
        handle,
        pool,
    }
}

async fn old_delivered_row(db: &TestDb) {
    db.exec(
        "INSERT INTO certyo_queue SET table_name = 't', record_id = '1', op_type = 'upsert', \
         payload = '{}', processed = 1, available_at = NULL, delivered_at = NOW(6) - INTERVAL 2 DAY",
    )
    .await;
}

async fn delivered_left(db: &TestDb) -> i64 {
    db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1")
        .await
}

/// A delivered row past retention appears and the current leader's cleanup removes it.
async fn cleanup_removes_an_old_row(db: &TestDb) {
    old_delivered_row(db).await;
    wait_until(
        Duration::from_secs(5),
        "the leader's cleanup removed the old row",
        || async { delivered_left(db).await == 0 },
    )
    .await;
}

#[tokio::test]
async fn only_one_scheduler_runs_cleanup_and_a_stopped_leader_hands_over() {
    let db = TestDb::new().await;
    let a = start(&db).await;
    wait_until(Duration::from_secs(5), "A leads both jobs", || async {
        a.stats.cleanup.is_leader() && a.stats.verify.is_leader()
    })
    .await;
    let b = start(&db).await;

    let (t0, runs0) = (Instant::now(), a.stats.cleanup.runs());
    wait_until(
        Duration::from_secs(10),
        "A ran cleanup 5 more times",
        || async { a.stats.cleanup.runs() >= runs0 + 5 },
    )
    .await;
    let (ran, elapsed) = (a.stats.cleanup.runs() - runs0, t0.elapsed());
    assert!(
        ran as u128 <= elapsed.as_millis() / INTERVAL.as_millis() + 1,
        "at most once per interval: {ran} runs in {elapsed:?}"
    );
    assert_eq!(b.stats.cleanup.runs(), 0, "the follower never ran cleanup");
    assert!(!b.stats.cleanup.is_leader());
    // Verification has its own lock; A took it first, so only A runs it.
    let (va, vb) = (a.stats.verify.runs(), b.stats.verify.runs());
    assert!(
        va > 0 && vb == 0,
        "verification ran in A only: A {va}, B {vb}"
    );
    assert_eq!(a.stats.verify.errors() + a.stats.cleanup.errors(), 0);

    a.stop.cancel();
    a.handle.await.unwrap();
    wait_until(Duration::from_secs(5), "B took both jobs over", || async {
        b.stats.cleanup.is_leader()
            && b.stats.cleanup.runs() >= 1
            && b.stats.verify.is_leader()
            && b.stats.verify.runs() >= 1
    })
    .await;
    cleanup_removes_an_old_row(&db).await;

    b.stop.cancel();
    b.handle.await.unwrap();
    a.pool.close().await;
    b.pool.close().await;
    db.finish().await;
}

#[tokio::test]
async fn a_killed_leader_is_replaced_within_a_few_check_intervals() {
    let db = TestDb::new().await;
    let a = start(&db).await;
    wait_until(Duration::from_secs(5), "A leads cleanup", || async {
        a.stats.cleanup.is_leader()
    })
    .await;
    let b = start(&db).await;
    wait_until(Duration::from_secs(5), "A ran cleanup again", || async {
        a.stats.cleanup.runs() >= 2
    })
    .await;
    assert_eq!(b.stats.cleanup.runs(), 0);

    // Kill A: its task is dropped mid-flight, nothing is released cleanly; only its
    // connections closing tells the server.
    a.handle.abort();
    let _ = a.handle.await;
    drop(a.pool);
    let killed_at = Instant::now();
    wait_until(Duration::from_secs(5), "B took cleanup over", || async {
        b.stats.cleanup.is_leader() && b.stats.cleanup.runs() >= 1
    })
    .await;
    println!("takeover after a kill: {:?}", killed_at.elapsed());
    cleanup_removes_an_old_row(&db).await;

    b.stop.cancel();
    b.handle.await.unwrap();
    b.pool.close().await;
    db.finish().await;
}

#[tokio::test]
async fn a_leader_whose_lock_connection_is_killed_takes_the_lock_again() {
    let db = TestDb::new().await;
    let a = start(&db).await;
    wait_until(Duration::from_secs(5), "A leads cleanup", || async {
        a.stats.cleanup.is_leader()
    })
    .await;
    let lock = lock_name(&db.name, "cleanup");
    let holder = || async {
        sqlx::query_scalar::<_, Option<i64>>("SELECT CAST(IS_USED_LOCK(?) AS SIGNED)")
            .bind(&lock)
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    let first = holder().await.expect("the lock is held");
    sqlx::query(sqlx::AssertSqlSafe(format!("KILL CONNECTION {first}")))
        .execute(&db.pool)
        .await
        .unwrap();

    wait_until(
        Duration::from_secs(5),
        "A holds the lock on a new connection",
        || async {
            matches!(holder().await, Some(id) if id != first) && a.stats.cleanup.is_leader()
        },
    )
    .await;
    let runs = a.stats.cleanup.runs();
    wait_until(
        Duration::from_secs(5),
        "A keeps running cleanup",
        || async { a.stats.cleanup.runs() > runs },
    )
    .await;

    a.stop.cancel();
    a.handle.await.unwrap();
    assert_eq!(holder().await, None, "a clean stop releases the lock");
    a.pool.close().await;
    db.finish().await;
}
