//! `work`'s /metrics, /healthz and /readyz, through the real binary.
mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use certyo_queue::emulator::{self, EmulatorConfig};
use common::{wait_until, TestDb};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Worker {
    child: Child,
    base: String,
}

impl Worker {
    fn start(db: &TestDb, api_url: &str, key: &str) -> Worker {
        let port = free_port();
        let child = Command::new(common::bin())
            .args([
                "work",
                "--concurrency",
                "2",
                "--poll-interval",
                "50ms",
                "--auth-retry",
                "300ms",
            ])
            .args(["--progress-interval", "200ms", "--no-scheduled"])
            .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", db.url())
            .env("CERTYO_BASE_URL", api_url)
            .env("CERTYO_API_KEY", key)
            .env("CERTYO_TENANT_ID", EmulatorConfig::default().tenant_id)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start certyo-queue work");
        Worker {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn get(&self, path: &str) -> Option<(u16, String)> {
        let resp = reqwest::get(format!("{}{path}", self.base)).await.ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.text().await.ok()?))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of a metric line that starts with `prefix` (name plus labels).
fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_as_rows_flow_and_the_endpoints_answer() {
    let db = TestDb::with_products().await;
    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    let w = Worker::start(&db, &emu.url(), &EmulatorConfig::default().api_key);
    wait_until(Duration::from_secs(15), "/healthz answers", || async {
        w.get("/healthz").await.is_some_and(|(s, _)| s == 200)
    })
    .await;
    assert_eq!(w.get("/readyz").await.map(|(s, _)| s), Some(200));

    db.insert_products(40).await;
    db.exec("UPDATE products SET price = 1 WHERE id <= 10")
        .await;
    wait_until(
        Duration::from_secs(20),
        "50 rows counted as delivered",
        || async {
            let Some((_, text)) = w.get("/metrics").await else {
                return false;
            };
            metric(&text, "certyo_queue_delivered_total{table=\"products\"}") == Some(50.0)
        },
    )
    .await;
    let (_, text) = w.get("/metrics").await.unwrap();
    assert!(
        metric(&text, "certyo_queue_delivery_latency_seconds_count").is_some_and(|n| n >= 50.0),
        "{text}"
    );
    assert!(
        text.contains("certyo_api_responses_total{endpoint=\"/api/v1/records"),
        "{text}"
    );
    wait_until(Duration::from_secs(5), "queue depth gauge at 0", || async {
        let Some((_, text)) = w.get("/metrics").await else {
            return false;
        };
        metric(&text, "certyo_queue_depth") == Some(0.0)
    })
    .await;
    drop(w);
    emu.stop().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_while_the_api_key_is_refused() {
    let db = TestDb::with_products().await;
    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    let w = Worker::start(&db, &emu.url(), "certyo_sk_test_wrong");
    wait_until(
        Duration::from_secs(15),
        "/readyz says the key is refused",
        || async {
            w.get("/readyz")
                .await
                .is_some_and(|(s, body)| s == 503 && body.contains("refused"))
        },
    )
    .await;
    assert_eq!(
        w.get("/healthz").await.map(|(s, _)| s),
        Some(200),
        "alive even when not ready"
    );
    // The emulator's key changes to the one the worker has: ready again without a restart.
    emu.set_api_key("certyo_sk_test_wrong");
    wait_until(Duration::from_secs(15), "/readyz recovers", || async {
        w.get("/readyz").await.is_some_and(|(s, _)| s == 200)
    })
    .await;
    drop(w);
    emu.stop().await;
    db.finish().await;
}
