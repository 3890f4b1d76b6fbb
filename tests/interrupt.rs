//! Every one-shot command stops on Ctrl-C / SIGTERM within a second, with exit code
//! 130 / 143, even while it waits on an API that never answers.
mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use certyo_queue::writeback::{self, Delivered};
use common::TestDb;

/// An "API" that accepts connections and never answers; returns its URL.
fn silent_api() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        // Bounded: at most 16 connections, then the thread ends.
        for stream in listener.incoming().take(16).flatten() {
            let mut s = stream;
            let mut buf = [0u8; 1024];
            let _ = s.set_read_timeout(Some(Duration::from_millis(10)));
            let _ = s.read(&mut buf);
            held.push(s);
        }
    });
    url
}

/// Run `certyo-queue <args>`, send `signal` after `after`, return (exit code, time from
/// the signal to the exit, stderr).
fn interrupt(
    args: &[&str],
    db_url: &str,
    signal: &str,
    after: Duration,
) -> (i32, Duration, String) {
    let dir = common::process::scratch_dir("interrupt");
    let err = dir.join("stderr");
    let mut child = common::process::command(args)
        .env("DATABASE_URL", db_url)
        .env("CERTYO_API_KEY", certyo_queue::emulator::DEFAULT_API_KEY)
        .env(
            "CERTYO_TENANT_ID",
            certyo_queue::emulator::DEFAULT_TENANT_ID,
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    assert!(
        child.try_wait().unwrap().is_none(),
        "{args:?} ended before the signal: {}",
        std::fs::read_to_string(&err).unwrap_or_default()
    );
    let sent = Instant::now();
    Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = sent + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} still running 10 s after {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    (status.code().unwrap_or(-1), sent.elapsed(), stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_against_a_silent_api_stops_on_sigint_and_sigterm() {
    let db = TestDb::with_products().await;
    db.insert_products(3).await;
    let items: Vec<Delivered> = (1..=3)
        .map(|id| Delivered {
            queue_id: id,
            table: "products".into(),
            record_id: id.to_string(),
            record_hash: Some(format!("h{id}")),
            payload_sha256: None,
        })
        .collect();
    writeback::write_back(&db.pool, &db.name, &items)
        .await
        .unwrap();
    let api: &'static str = Box::leak(silent_api().into_boxed_str());
    let args = [
        "verify",
        "--base-url",
        api,
        "--verify-after",
        "0s",
        "--request-timeout",
        "30s",
    ];
    let url = db.url();
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let (got, took, stderr) = tokio::task::spawn_blocking({
            let url = url.clone();
            move || interrupt(&args, &url, signal, Duration::from_secs(2))
        })
        .await
        .unwrap();
        assert_eq!(got, code, "{signal}: {stderr}");
        assert!(took < Duration::from_secs(1), "{signal}: took {took:?}");
        assert!(stderr.contains("interrupted"), "{stderr}");
    }
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending'")
            .await,
        3,
        "an interrupted verify leaves the rows as they were"
    );
    db.finish().await;
}
