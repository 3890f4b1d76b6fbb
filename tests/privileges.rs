//! Least privilege: `migrate` and `work` run as two users holding exactly the GRANTs
//! the README gives, and the whole pipeline works (delivered, written back, verified,
//! cleaned up) with no permission error in `work`'s log.
mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use certyo_queue::emulator::{self, EmulatorConfig};
use common::{wait_until, TestDb};

/// The README's GRANTs for the user that runs `migrate`, on schema `{db}`.
const MIGRATE_GRANTS: &[&str] = &[
    "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, TRIGGER, LOCK TABLES ON `{db}`.* TO {user}",
];

/// The README's GRANTs for the user that runs `work`, for the captured table `products`:
/// no TRIGGER privilege (captured tables are found by trigger name even when
/// information_schema hides the bodies from this user).
const WORK_GRANTS: &[&str] = &[
    "GRANT SELECT, UPDATE, DELETE ON `{db}`.`certyo_queue` TO {user}",
    "GRANT SELECT ON `{db}`.`certyo_queue_schema_history` TO {user}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `{db}`.`certyo_writeback_due` TO {user}",
    "GRANT SELECT ON `{db}`.`certyo_capture` TO {user}",
    "GRANT SELECT, UPDATE ON `{db}`.`products` TO {user}",
];

/// The hosts each test user is created for: 127.0.0.1 when the server skips name
/// resolution, localhost when it resolves 127.0.0.1 to it.
const HOSTS: &[&str] = &["127.0.0.1", "localhost"];

struct TestUser {
    name: String,
    password: String,
}

impl TestUser {
    async fn create(db: &TestDb, name: String, grants: &[&str]) -> TestUser {
        let password = format!("pw{}", fastrand::u64(..));
        for host in HOSTS {
            let user = format!("'{name}'@'{host}'");
            db.exec(&format!("DROP USER IF EXISTS {user}")).await;
            db.exec(&format!("CREATE USER {user} IDENTIFIED BY '{password}'"))
                .await;
            for grant in grants {
                db.exec(&grant.replace("{db}", &db.name).replace("{user}", &user))
                    .await;
            }
        }
        TestUser { name, password }
    }

    fn url(&self, db: &TestDb) -> String {
        let server = reqwest::Url::parse(&common::server_url()).unwrap();
        format!(
            "mysql://{}:{}@{}:{}/{}",
            self.name,
            self.password,
            server.host_str().unwrap(),
            server.port().unwrap_or(3306),
            db.name
        )
    }

    async fn drop_user(&self, db: &TestDb) {
        for host in HOSTS {
            db.exec(&format!("DROP USER IF EXISTS '{}'@'{host}'", self.name))
                .await;
        }
    }
}

/// Kills the child process when dropped (a failing assertion must not leave it running).
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a log that report a missing privilege.
fn permission_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("denied") || l.contains("privilege")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_and_work_run_with_exactly_the_documented_grants() {
    let db = TestDb::empty().await;
    db.exec(&common::PRODUCTS_DDL).await;
    // Unique per test database; MySQL allows 32 characters in a user name.
    let suffix = db.name.trim_start_matches("cq_");
    let migrator = TestUser::create(&db, format!("cqm_{suffix}"), MIGRATE_GRANTS).await;
    // MySQL ships with binary logging on: a user without SUPER may create triggers only
    // with log_bin_trust_function_creators = 1, as the README says to set. (MariaDB here
    // runs without binary logging; the refusal itself is tested below.)
    if db.engine().await == common::Engine::MySql {
        db.exec("SET GLOBAL log_bin_trust_function_creators = 1")
            .await;
    }

    let out = Command::new(common::bin())
        .args(["migrate", "--table", "products", "--database-url"])
        .arg(migrator.url(&db))
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "migrate as the migrate user:\n{stderr}"
    );
    assert!(
        !stderr.contains(&migrator.password),
        "password leaked:\n{stderr}"
    );

    // Table-level grants need the tables, so the work user is granted after migrate.
    let worker = TestUser::create(&db, format!("cqw_{suffix}"), WORK_GRANTS).await;

    // The application's changes (as root, like any application user).
    db.insert_products(30).await;
    db.exec("UPDATE products SET price = price + 1 WHERE id <= 10")
        .await;
    db.exec("DELETE FROM products WHERE id > 25").await;
    let events = db.scalar("SELECT COUNT(*) FROM certyo_queue").await;
    assert_eq!(events, 30 + 10 + 5);

    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.set_anchor_delay(Duration::from_millis(300));
    let log_path = std::env::temp_dir().join(format!("{}-work.log", db.name));
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut work = ChildGuard(
        Command::new(common::bin())
            .args([
                "--log-format",
                "json",
                "work",
                "--concurrency",
                "2",
                "--poll-interval",
                "50ms",
            ])
            .args(["--cleanup-interval", "1s", "--retention", "0s"])
            .args(["--verify-interval", "1s", "--verify-after", "0s"])
            .args(["--leader-check-interval", "1s", "--progress-interval", "1s"])
            .args(["--metrics-addr", "127.0.0.1:0"])
            .env("DATABASE_URL", worker.url(&db))
            .env("CERTYO_BASE_URL", emu.url())
            .env("CERTYO_API_KEY", emulator::DEFAULT_API_KEY)
            .env("CERTYO_TENANT_ID", emulator::DEFAULT_TENANT_ID)
            .env_remove("CERTYO_API_KEY_FILE")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .spawn()
            .unwrap(),
    );
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();

    const ERROR: &str = r#""level":"ERROR""#;
    // Stop waiting at the first logged error (a missing privilege shows up there).
    wait_until(
        Duration::from_secs(30),
        "every remaining product anchored and the queue cleaned up",
        || async {
            let anchored = db
                .scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Anchored'")
                .await;
            let queued = db.scalar("SELECT COUNT(*) FROM certyo_queue").await;
            (anchored == 25 && queued == 0) || log().contains(ERROR)
        },
    )
    .await;
    let first_error = log().lines().find(|l| l.contains(ERROR)).map(String::from);
    assert!(
        first_error.is_none(),
        "work logged an error: {first_error:?}"
    );
    assert_eq!(emu.totals().records_accepted, events as u64);
    let hashed = db
        .scalar("SELECT COUNT(*) FROM products WHERE certyo_record_hash IS NOT NULL")
        .await;
    assert_eq!(hashed, 25, "write-back of the record hash");

    let _ = Command::new("kill")
        .args(["-TERM", &work.0.id().to_string()])
        .status();
    let status = work.0.wait().unwrap();
    let log = log();
    assert!(status.success(), "work did not stop cleanly:\n{log}");
    let denied = permission_errors(&log);
    assert!(
        denied.is_empty(),
        "permission errors:\n{}",
        denied.join("\n")
    );
    assert!(!log.contains(&worker.password), "password leaked:\n{log}");
    assert!(!log.contains(ERROR), "work logged errors:\n{log}");

    // `status` as the work user: no TRIGGER privilege, so MySQL hides the triggers'
    // rows and MariaDB their bodies; the table is still reported captured (triggers
    // there, drift unverified), and nothing is reported as a problem.
    let run_as = |user: &TestUser, args: &[&str]| {
        let out = Command::new(common::bin())
            .args(args)
            .arg("--database-url")
            .arg(user.url(&db))
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run_as(&worker, &["status", "--table", "products"]);
    assert_eq!(
        code,
        Some(0),
        "status as the work user:\n{stdout}\n{stderr}"
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with("products "))
        .unwrap_or_else(|| panic!("no products line:\n{stdout}"));
    assert!(row.contains("unverified"), "{stdout}");
    assert!(stdout.contains("no TRIGGER privilege"), "{stdout}");
    // The migrate user (TRIGGER) sees the bodies: current.
    let (code, stdout, stderr) = run_as(&migrator, &["status", "--table", "products"]);
    assert_eq!(
        code,
        Some(0),
        "status as the migrate user:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("products ") && l.contains("current")),
        "{stdout}"
    );

    // `backfill` runs as the migrate user (it inserts into certyo_queue and checks the
    // triggers are current): every remaining row enqueued once.
    let (code, stdout, stderr) = run_as(&migrator, &["backfill", "--table", "products"]);
    assert_eq!(
        code,
        Some(0),
        "backfill as the migrate user:\n{stdout}\n{stderr}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE op_type = 'upsert'")
            .await,
        25
    );
    assert!(
        !stderr.contains(&migrator.password),
        "password leaked:\n{stderr}"
    );

    // A registered table whose triggers were dropped behind our back (pt-osc without
    // --preserve-triggers does that) is a problem, whoever asks.
    db.exec("DROP TRIGGER certyo_products_ai").await;
    for user in [&worker, &migrator] {
        let (code, stdout, _) = run_as(user, &["status"]);
        assert_eq!(code, Some(2), "{stdout}");
        assert!(
            stdout.contains("capture triggers missing (certyo_products_ai)"),
            "{stdout}"
        );
    }

    emu.stop().await;
    worker.drop_user(&db).await;
    migrator.drop_user(&db).await;
    let _ = std::fs::remove_file(&log_path);
    db.finish().await;
}

/// With binary logging on, the migrate user (no SUPER) may create triggers only once
/// `log_bin_trust_function_creators = 1`; until then `migrate` says so in one line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_binary_logging_migrate_needs_log_bin_trust_function_creators() {
    use certyo_queue::config::DbConfig;
    use common::throwaway_mariadb::{Options, ThrowawayMariaDb};
    use common::throwaway_mysql::ThrowawayMySql;

    // A server of the run's engine with binary logging on (MySQL's default).
    enum Server {
        MariaDb(ThrowawayMariaDb),
        MySql(ThrowawayMySql),
    }
    let server = match common::run_engine().await {
        common::Engine::MariaDb => Server::MariaDb(
            tokio::task::spawn_blocking(|| {
                ThrowawayMariaDb::start(Options {
                    extra_args: vec!["--log-bin".into(), "--server-id=1".into()],
                    ..Options::default()
                })
            })
            .await
            .unwrap(),
        ),
        common::Engine::MySql => Server::MySql(
            tokio::task::spawn_blocking(|| ThrowawayMySql::start_with(false, false, true))
                .await
                .unwrap(),
        ),
    };
    let (port, root_url) = match &server {
        Server::MariaDb(s) => (s.port, s.url("mysql", "")),
        Server::MySql(s) => (s.port, s.url_as("root", "", "mysql", "")),
    };
    let admin = certyo_queue::db::connect(&DbConfig::parse(&root_url).unwrap(), 1)
        .await
        .unwrap();
    let setup = format!(
        "CREATE DATABASE shop; USE shop; {};
         CREATE USER 'certyo_migrate'@'localhost' IDENTIFIED BY 'pw-migrate';
         CREATE USER 'certyo_migrate'@'127.0.0.1' IDENTIFIED BY 'pw-migrate';",
        *common::PRODUCTS_DDL
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(setup.as_str()))
        .execute(&admin)
        .await
        .unwrap();
    for host in HOSTS {
        let grant = MIGRATE_GRANTS[0]
            .replace("{db}", "shop")
            .replace("{user}", &format!("'certyo_migrate'@'{host}'"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(grant.as_str()))
            .execute(&admin)
            .await
            .unwrap();
    }
    let log_bin: i64 = sqlx::query_scalar("SELECT @@log_bin")
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(log_bin, 1, "binary logging is on");

    let url = format!("mysql://certyo_migrate:pw-migrate@127.0.0.1:{port}/shop");
    let migrate = || {
        Command::new(common::bin())
            .args(["migrate", "--table", "products", "--database-url", &url])
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let refused = migrate();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "migrate without SUPER:\n{stderr}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("log_bin_trust_function_creators = 1"),
        "{stderr}"
    );
    for managed in [
        "AWS RDS",
        "Azure",
        "Google Cloud SQL",
        "Nothing was changed",
    ] {
        assert!(errors[0].contains(managed), "{managed}: {stderr}");
    }
    let queue_tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME LIKE 'certyo%'",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(queue_tables, 0, "a refused migrate changes nothing");

    sqlx::raw_sql("SET GLOBAL log_bin_trust_function_creators = 1")
        .execute(&admin)
        .await
        .unwrap();
    let ok = migrate();
    assert!(
        ok.status.success(),
        "migrate with log_bin_trust_function_creators = 1:\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    // Statement-based binary logging: every SKIP LOCKED write would fail (1665), so
    // migrate and work refuse at start, with the fix.
    sqlx::raw_sql("SET GLOBAL binlog_format = 'STATEMENT'")
        .execute(&admin)
        .await
        .unwrap();
    let refused = migrate();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("binlog_format = STATEMENT") && stderr.contains("binlog_format = 'ROW'"),
        "{stderr}"
    );
    let work = Command::new(common::bin())
        .args(["work", "--no-scheduled", "--metrics-addr", "127.0.0.1:0"])
        .args(["--database-url", &url])
        .env("CERTYO_API_KEY", certyo_queue::emulator::DEFAULT_API_KEY)
        .env(
            "CERTYO_TENANT_ID",
            certyo_queue::emulator::DEFAULT_TENANT_ID,
        )
        .env("CERTYO_BASE_URL", "http://127.0.0.1:9")
        .env_remove("DATABASE_URL")
        .env_remove("CERTYO_API_KEY_FILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&work.stderr);
    assert!(
        !work.status.success(),
        "work under STATEMENT binlog:\n{stderr}"
    );
    assert!(stderr.contains("binlog_format = STATEMENT"), "{stderr}");
    admin.close().await;
    drop(server);
}
