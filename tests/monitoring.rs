//! The dashboard and the alert rules against the real thing: a real Prometheus
//! (Debian's package, on a free port, its own data directory) scrapes real `work`
//! processes that drain rows into the emulator, loads deploy/prometheus/alerts.yml, and
//! every panel's and every alert's PromQL is evaluated through its HTTP API.
//!
//! The scene, set up so that most alerts have a reason to fire:
//! - `good`: a worker with the scheduled jobs (it leads cleanup and verify) and a status
//!   refresh every second; the emulator fails every call until a retry is seen (500s),
//!   and never anchors, and `--anchor-timeout 3s` turns delivered rows into failed verifications;
//!   one queued row without a record id becomes a dead letter.
//! - `bad`: a second worker on the same host with a key Certyo refuses (not ready).
//! - `down`: a scrape target where nothing listens.
//! - table `orders` is captured, then one of its triggers is dropped (missing).
//!
//! Both workers run with `--metrics-addr 127.0.0.1:0`; the test learns their ports from
//! the address each logs, as an operator running several processes on one host would.
mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use certyo_queue::emulator::{self, EmulatorConfig};
use common::ops_tools::{repo, tool};
use common::process::{free_port, scratch_dir, Worker};
use common::{wait_until, TestDb};
use serde_json::Value;

/// Alerts on metrics that another branch adds (poll/binlog capture sources), not
/// exported by `work` here yet: checked by promtool's unit tests only. Keep in step
/// with tests/deploy.rs ADDED_ELSEWHERE.
const NOT_EXPORTED_YET: &[&str] = &["CertyoCaptureLagging"];

/// Alerts the scene makes true, with the labels their series must carry.
const FIRING: &[(&str, &[(&str, Target)])] = &[
    ("CertyoQueueDown", &[("instance", Target::Down)]),
    (
        "CertyoQueueDeadLetters",
        &[("table", Target::Value("products"))],
    ),
    ("CertyoApiKeyRefused", &[("instance", Target::Bad)]),
    ("CertyoQueueNotReady", &[("instance", Target::Bad)]),
    (
        "CertyoVerificationFailed",
        &[("job", Target::Value("certyo-queue"))],
    ),
    (
        "CertyoCaptureTriggersNotCurrent",
        &[
            ("table", Target::Value("orders")),
            ("state", Target::Value("missing")),
        ],
    ),
];

/// Alerts the scene keeps false (rows are being delivered, the oldest waits seconds,
/// both jobs have a leader, no row was marked Altered): their expressions must
/// evaluate and stay empty, and each metric they read must have live series with the
/// labels they group by.
const QUIET: &[&str] = &[
    "CertyoQueueNoDelivery",
    "CertyoQueueOldestPendingAge",
    "CertyoNoLeader",
    "CertyoRowsAltered",
];

/// Per panel: label values at least one of its series must show.
const PANEL_EXPECT: &[(&str, &[(&str, Target)])] = &[
    (
        "Throughput: rows delivered per second",
        &[("table", Target::Value("products"))],
    ),
    (
        "Certyo API answers by status",
        &[
            ("status", Target::Value("202")),
            ("status", Target::Value("500")),
            ("status", Target::Value("401")),
        ],
    ),
    (
        "Retries and new dead letters",
        &[("table", Target::Value("products"))],
    ),
    (
        "Dead letters waiting",
        &[("table", Target::Value("products"))],
    ),
    (
        "Verification outcomes",
        &[
            ("outcome", Target::Value("failed")),
            ("outcome", Target::Value("not_yet")),
        ],
    ),
    (
        "Leader per job",
        &[
            ("task", Target::Value("cleanup")),
            ("task", Target::Value("verify")),
            ("instance", Target::Good),
        ],
    ),
    (
        "Capture triggers per table",
        &[
            ("table", Target::Value("orders")),
            ("state", Target::Value("missing")),
            ("table", Target::Value("products")),
            ("state", Target::Value("current")),
        ],
    ),
    (
        "Readiness and API key",
        &[("instance", Target::Good), ("instance", Target::Bad)],
    ),
];

#[derive(Clone, Copy, Debug)]
enum Target {
    Good,
    Bad,
    Down,
    Value(&'static str),
}

struct Scene {
    good: String,
    bad: String,
    down: String,
}

impl Scene {
    fn value(&self, t: Target) -> &str {
        match t {
            Target::Good => &self.good,
            Target::Bad => &self.bad,
            Target::Down => &self.down,
            Target::Value(v) => v,
        }
    }
}

/// A Prometheus server of its own; killed when dropped.
struct Prometheus {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Prometheus {
    fn start(targets: &[&str]) -> Prometheus {
        let binary = tool("prometheus");
        let dir = scratch_dir("prometheus");
        let rules = repo().join("deploy/prometheus/alerts.yml");
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {}\n\
             scrape_configs:\n  - job_name: certyo-queue\n    static_configs:\n      - targets: [{}]\n",
            rules.display(),
            targets
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        std::fs::write(dir.join("prometheus.yml"), config).unwrap();
        let port = free_port();
        let log = File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new(binary)
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Option<Value> {
        let resp = reqwest::Client::new()
            .get(format!("{}{path}", self.url))
            .query(query)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .ok()?;
        resp.json().await.ok()
    }

    /// An instant query: Ok(series) or Err(Prometheus' error).
    async fn query(&self, promql: &str) -> Result<Vec<Value>, String> {
        let answer = self
            .get("/api/v1/query", &[("query", promql)])
            .await
            .ok_or_else(|| format!("no answer from Prometheus for {promql}"))?;
        if answer["status"] != "success" {
            return Err(format!("{promql}: {answer}"));
        }
        Ok(answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    async fn has(&self, promql: &str) -> bool {
        self.query(promql).await.is_ok_and(|r| !r.is_empty())
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The address a `work` process logs once it serves /metrics.
async fn metrics_addr(w: &mut Worker) -> String {
    const MARK: &str = "serving /metrics, /healthz and /readyz on http://";
    let mut addr = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while addr.is_none() {
        w.assert_running();
        assert!(
            std::time::Instant::now() < deadline,
            "worker {} never logged its metrics address:\n{}",
            w.name,
            w.stderr()
        );
        addr = w
            .stderr()
            .lines()
            .find_map(|l| l.split(MARK).nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    addr.unwrap()
}

fn label<'a>(series: &'a Value, name: &str) -> Option<&'a str> {
    series["metric"][name].as_str()
}

/// `{{name}}` placeholders of a legend.
fn legend_labels(legend: &str) -> Vec<String> {
    legend
        .split("{{")
        .skip(1)
        .filter_map(|s| s.split("}}").next())
        .map(|s| s.trim().to_string())
        .collect()
}

/// The labels an expression groups by (`by (a, b)`), the ones a series must carry.
fn grouping_labels(expr: &str) -> Vec<String> {
    expr.split("by (")
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .flat_map(|s| s.split(',').map(|l| l.trim().to_string()))
        .filter(|l| !l.is_empty())
        .collect()
}

fn metric_names(expr: &str) -> Vec<String> {
    let mut out: Vec<String> = expr
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("certyo_"))
        .map(str::to_string)
        .collect();
    out.dedup();
    out
}

fn alerts() -> BTreeMap<String, String> {
    let doc: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo().join("deploy/prometheus/alerts.yml")).unwrap(),
    )
    .unwrap();
    doc["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_sequence().unwrap().clone())
        .map(|r| {
            (
                r["alert"].as_str().unwrap().to_string(),
                r["expr"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scraping_work_answers_every_panel_and_alert_with_the_expected_labels() {
    tool("prometheus"); // fail at once, with how to install it, if missing
    let alerts = alerts();
    for name in alerts.keys() {
        let placed = FIRING.iter().any(|(n, _)| n == name)
            || QUIET.contains(&name.as_str())
            || NOT_EXPORTED_YET.contains(&name.as_str());
        assert!(
            placed,
            "alert {name}: add it to FIRING, QUIET or NOT_EXPORTED_YET"
        );
    }

    let db = TestDb::with_products().await;
    db.exec("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, total DECIMAL(10,2))")
        .await;
    db.capture(&["orders"]).await;
    db.exec("DROP TRIGGER certyo_orders_ad").await;
    let emu = emulator::start(EmulatorConfig {
        anchor_delay: Duration::from_secs(3600),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();

    let mut good = Worker::spawn_with_scheduled(
        "good",
        &db.url(),
        &emu.url(),
        &[
            "--concurrency",
            "2",
            "--status-interval",
            "1s",
            "--leader-check-interval",
            "1s",
            "--verify-interval",
            "1s",
            "--verify-after",
            "1s",
            "--anchor-timeout",
            "3s",
        ],
    );
    let mut bad = Worker::spawn(
        "bad",
        &db.url(),
        &emu.url(),
        &["--api-key", "certyo_sk_test_refused", "--auth-retry", "1s"],
    );
    let scene = Scene {
        good: metrics_addr(&mut good).await,
        bad: metrics_addr(&mut bad).await,
        down: format!("127.0.0.1:{}", free_port()),
    };
    assert_ne!(scene.good, scene.bad, "two processes, two ports");
    let prom = Prometheus::start(&[&scene.good, &scene.bad, &scene.down]);
    wait_until(
        Duration::from_secs(60),
        "Prometheus scrapes both workers",
        || async {
            prom.has(&format!("up{{instance=\"{}\"}} == 1", scene.good)).await
            && prom.has(&format!("up{{instance=\"{}\"}} == 1", scene.bad)).await
            // the per-table counters are registered at 0 before anything happens
            && prom
                .has("certyo_queue_dead_total{table=\"products\"} == 0")
                .await
        },
    )
    .await;

    // Certyo fails every call until a retry has been scraped, then answers again.
    emu.set_fail_rate(1.0);
    db.insert_products(40).await;
    db.exec(
        "INSERT INTO certyo_queue (table_name, record_id, op_type, payload) \
         VALUES ('products', '', 'insert', '{\"sku\": \"no id\"}')",
    )
    .await;
    wait_until(
        Duration::from_secs(60),
        "Prometheus sees a retry",
        || async { prom.has("sum(certyo_queue_retried_total) > 0").await },
    )
    .await;
    emu.set_fail_rate(0.0);
    let wanted = [
        "sum(certyo_queue_delivered_total) >= 40",
        "sum(certyo_queue_retried_total) > 0",
        "sum(certyo_queue_dead_letters) >= 1",
        "sum(certyo_verify_outcomes_total{outcome=\"failed\"}) > 0",
        "max(certyo_api_key_refused) == 1",
    ];
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        good.assert_running();
        let mut missing = Vec::new();
        for q in wanted {
            if !prom.has(q).await {
                missing.push(q);
            }
        }
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Prometheus never saw {missing:?}; good worker's log (tail):\n{}",
            good.stderr()
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .join("\n")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Rates over the last minute need two samples after the events: a few scrapes.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut failures = Vec::new();

    // Every panel's every target answers series carrying its legend's labels.
    let dash: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("deploy/grafana/certyo-queue.json")).unwrap(),
    )
    .unwrap();
    for panel in dash["panels"].as_array().unwrap() {
        let title = panel["title"].as_str().unwrap();
        let mut all = Vec::new();
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"]
                .as_str()
                .unwrap()
                .replace("$__rate_interval", "1m");
            match prom.query(&expr).await {
                Err(e) => failures.push(format!("panel {title:?}: {e}")),
                Ok(series) if series.is_empty() => {
                    failures.push(format!("panel {title:?}: no series for {expr}"))
                }
                Ok(series) => {
                    let legend = target["legendFormat"].as_str().unwrap_or_default();
                    for l in legend_labels(legend) {
                        if series.iter().any(|s| label(s, &l).is_none()) {
                            failures.push(format!(
                                "panel {title:?}: a series of {expr} lacks label {l}: {series:?}"
                            ));
                        }
                    }
                    all.extend(series);
                }
            }
        }
        for (_, expect) in PANEL_EXPECT.iter().filter(|(t, _)| *t == title) {
            for (l, v) in expect.iter() {
                let v = scene.value(*v);
                if !all.iter().any(|s| label(s, l) == Some(v)) {
                    failures.push(format!(
                        "panel {title:?}: no series with {l}={v:?}: {all:?}"
                    ));
                }
            }
        }
    }
    for (title, _) in PANEL_EXPECT {
        assert!(
            dash["panels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["title"] == *title),
            "no panel {title:?}"
        );
    }

    // Alerts the scene makes true answer series with their labels.
    for (name, expect) in FIRING {
        let expr = &alerts[*name];
        match prom.query(expr).await {
            Err(e) => failures.push(format!("alert {name}: {e}")),
            Ok(series) => {
                let hit = series.iter().any(|s| {
                    expect
                        .iter()
                        .all(|(l, v)| label(s, l) == Some(scene.value(*v)))
                });
                if !hit {
                    failures.push(format!(
                        "alert {name}: no series with {expect:?} from {expr}: {series:?}"
                    ));
                }
            }
        }
    }
    // Alerts the scene keeps false: valid, quiet, and fed by live series.
    for name in QUIET {
        let expr = &alerts[*name];
        match prom.query(expr).await {
            Err(e) => failures.push(format!("alert {name}: {e}")),
            Ok(series) if !series.is_empty() => failures.push(format!(
                "alert {name} fires on a healthy pipeline: {series:?}"
            )),
            Ok(_) => {}
        }
        let grouping = grouping_labels(expr);
        for metric in metric_names(expr) {
            match prom.query(&metric).await {
                Ok(series) if !series.is_empty() => {
                    for l in &grouping {
                        if series.iter().all(|s| label(s, l).is_none()) {
                            failures.push(format!(
                                "alert {name}: {metric} has no label {l}: {series:?}"
                            ));
                        }
                    }
                }
                other => failures.push(format!(
                    "alert {name}: no live series of {metric}: {other:?}"
                )),
            }
        }
    }
    // The real Prometheus loaded every rule and evaluates it without error.
    let rules = prom.get("/api/v1/rules", &[]).await.expect("/api/v1/rules");
    let loaded: Vec<&Value> = rules["data"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(loaded.len(), alerts.len(), "{rules}");
    for r in loaded {
        if r["health"] != "ok" && r["health"] != "unknown" {
            failures.push(format!(
                "rule {} health {}: {}",
                r["name"], r["health"], r["lastError"]
            ));
        }
    }
    // And the dead letter's alert fires there by itself (no `for:`).
    wait_until(Duration::from_secs(30), "ALERTS shows CertyoQueueDeadLetters firing", || async {
        prom.has("ALERTS{alertname=\"CertyoQueueDeadLetters\",alertstate=\"firing\",table=\"products\"}")
            .await
    })
    .await;

    assert!(
        failures.is_empty(),
        "{}\n--- prometheus log (tail) ---\n{}",
        failures.join("\n"),
        prom.log()
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    );
    drop(prom);
    drop(bad);
    drop(good);
    emu.stop().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_worker_on_a_taken_metrics_port_exits_saying_how_to_pick_a_free_one() {
    let db = TestDb::with_products().await;
    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    let mut first = Worker::spawn("first", &db.url(), &emu.url(), &[]);
    let addr = metrics_addr(&mut first).await;
    let mut second = Worker::spawn("second", &db.url(), &emu.url(), &["--metrics-addr", &addr]);
    let status = second.wait_exit(Duration::from_secs(60)).await;
    assert_eq!(status.code(), Some(1), "{}", second.stderr());
    let stderr = second.stderr();
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line:\n{stderr}"));
    assert!(error.contains(&format!("--metrics-addr {addr}")), "{error}");
    assert!(error.contains("127.0.0.1:0 picks a free one"), "{error}");
    first.assert_running();
    drop(first);
    emu.stop().await;
    db.finish().await;
}

/// The README's GRANTs for the `work` user (products captured), as in tests/privileges.rs.
const WORK_GRANTS: &[&str] = &[
    "GRANT SELECT, UPDATE, DELETE ON `{db}`.`certyo_queue` TO {user}",
    "GRANT SELECT ON `{db}`.`certyo_queue_schema_history` TO {user}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `{db}`.`certyo_writeback_due` TO {user}",
    "GRANT SELECT ON `{db}`.`certyo_capture` TO {user}",
    "GRANT SELECT, UPDATE ON `{db}`.`products` TO {user}",
];

async fn capture_health(pool: &sqlx::MySqlPool, schema: &str) -> Vec<(String, &'static str)> {
    let mut check = certyo_queue::tasks::CaptureHealth::new(
        pool.clone(),
        schema.to_string(),
        Default::default(),
    )
    .unwrap();
    check.run_once().await.expect("capture health check").tables
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_health_says_missing_after_a_table_swap_and_unverified_to_a_user_who_cannot_read_triggers(
) {
    let db = TestDb::with_products().await;
    let products = |state: &'static str| vec![("products".to_string(), state)];
    assert_eq!(
        capture_health(&db.pool, &db.name).await,
        products("current")
    );

    // What pt-online-schema-change without --preserve-triggers leaves: the table swapped
    // for a copy without our triggers; the capture registry still lists it.
    for t in ["ai", "au", "ad", "bu"] {
        db.exec(&format!("DROP TRIGGER certyo_products_{t}")).await;
    }
    assert_eq!(
        capture_health(&db.pool, &db.name).await,
        products("missing")
    );
    db.capture(&["products"]).await;
    assert_eq!(
        capture_health(&db.pool, &db.name).await,
        products("current")
    );

    // The least-privileged `work` user: MySQL hides the triggers, MariaDB their bodies;
    // present but not comparable is unverified, never a false drifted, and gone is
    // still missing.
    let name = format!("cqh_{}", fastrand::u32(..));
    let password = format!("pw{}", fastrand::u64(..));
    for host in ["127.0.0.1", "localhost"] {
        let user = format!("'{name}'@'{host}'");
        db.exec(&format!("DROP USER IF EXISTS {user}")).await;
        db.exec(&format!("CREATE USER {user} IDENTIFIED BY '{password}'"))
            .await;
        for grant in WORK_GRANTS {
            db.exec(&grant.replace("{db}", &db.name).replace("{user}", &user))
                .await;
        }
    }
    let mut url = reqwest::Url::parse(&db.url()).unwrap();
    url.set_username(&name).unwrap();
    url.set_password(Some(&password)).unwrap();
    let cfg = certyo_queue::config::DbConfig::parse(url.as_str()).unwrap();
    let pool = certyo_queue::db::connect(&cfg, 2).await.unwrap();
    assert_eq!(
        capture_health(&pool, &db.name).await,
        products("unverified")
    );
    db.exec("DROP TRIGGER certyo_products_ad").await;
    assert_eq!(capture_health(&pool, &db.name).await, products("missing"));
    pool.close().await;
    for host in ["127.0.0.1", "localhost"] {
        db.exec(&format!("DROP USER IF EXISTS '{name}'@'{host}'"))
            .await;
    }
    db.finish().await;
}
