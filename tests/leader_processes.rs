//! Scheduled jobs across real processes: two `work` processes share one database; each
//! job runs in one of them, and killing that one (kill -9) hands the job to the other.
mod common;

use std::time::Duration;

use certyo_queue::emulator::{self, EmulatorConfig};
use common::process::Worker;
use common::{wait_until, TestDb};

const ARGS: &[&str] = &[
    "--cleanup-interval",
    "300ms",
    "--verify-interval",
    "300ms",
    "--leader-check-interval",
    "200ms",
];

/// Lines of `stderr` that say this process became leader of the cleanup job.
fn leads_cleanup(stderr: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.contains("leader.elected") && l.contains(".cleanup."))
}

fn cleanup_runs(stderr: &str) -> usize {
    stderr.lines().filter(|l| l.contains("cleanup.run")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_runs_each_job_and_a_killed_leader_hands_it_over() {
    let db = TestDb::with_products().await;
    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    let mut a = Worker::spawn_with_scheduled("lead-a", &db.url(), &emu.url(), ARGS);
    let mut b = Worker::spawn_with_scheduled("lead-b", &db.url(), &emu.url(), ARGS);

    wait_until(Duration::from_secs(20), "a cleanup leader", || async {
        leads_cleanup(&a.stderr()) || leads_cleanup(&b.stderr())
    })
    .await;
    let (leader, follower) = if leads_cleanup(&a.stderr()) {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    wait_until(
        Duration::from_secs(10),
        "a few cleanup runs by the leader",
        || async { cleanup_runs(&leader.stderr()) >= 3 },
    )
    .await;
    assert!(
        !leads_cleanup(&follower.stderr()),
        "both processes led the cleanup job"
    );
    assert_eq!(
        cleanup_runs(&follower.stderr()),
        0,
        "the follower ran cleanup too"
    );

    leader.kill9();
    wait_until(
        Duration::from_secs(30),
        "the follower takes over the cleanup job",
        || async { leads_cleanup(&follower.stderr()) && cleanup_runs(&follower.stderr()) > 0 },
    )
    .await;

    follower.term();
    assert!(follower.wait_exit(Duration::from_secs(30)).await.success());
    emu.stop().await;
    db.finish().await;
}
