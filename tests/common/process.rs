//! The built binary as child processes, for reliability tests: `certyo-queue work`
//! pointed at a test database and an in-process emulator, killed with SIGKILL or
//! stopped with SIGTERM; one-shot commands with their exit code and stderr; and a
//! throwaway server of the run's engine (MariaDB from the system's packages, MySQL 9.7
//! from the tree `scripts/ensure-mysql.sh` builds) in a temporary data directory that a
//! test may kill and restart underneath running workers.
//!
//! Every child's stderr goes to a file (never a pipe nobody reads, which would block
//! the child once full); a child still running when its handle drops is killed.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use certyo_queue::emulator::EmulatorConfig;

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A fresh directory under the system temp dir, unique to this process and call.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "certyo-{tag}-{}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    dir
}

/// Environment variables the binary reads; cleared so a developer's shell can't leak in.
const CLEARED_ENV: &[&str] = &[
    "CERTYO_API_KEY",
    "CERTYO_API_KEY_FILE",
    "CERTYO_TENANT_ID",
    "CERTYO_BASE_URL",
    "CERTYO_DATABASE",
    "CERTYO_TABLES",
    "CERTYO_LOG_FORMAT",
    "DATABASE_URL",
];

/// `certyo-queue <args>` with a clean environment and RUST_LOG=info.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(super::bin());
    cmd.args(args)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    cmd
}

/// The output of a one-shot command.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The `error:` lines of stderr.
    pub fn error_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect()
    }
}

/// Run a command to completion (it must exit within `deadline`).
pub fn run(mut cmd: Command, deadline: Duration) -> Output {
    let dir = scratch_dir("run");
    let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
    cmd.stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap());
    let mut child = cmd.spawn().expect("spawn the certyo-queue binary");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{cmd:?} did not exit within {deadline:?}; stderr:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = Output {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    };
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// `certyo-queue migrate --table …` against `db_url`; panics unless it succeeds.
pub fn migrate(db_url: &str, tables: &[&str]) {
    let mut args = vec!["migrate", "--database-url", db_url];
    for t in tables {
        args.extend(["--table", t]);
    }
    let out = run(command(&args), Duration::from_secs(60));
    assert_eq!(out.code, 0, "migrate failed:\n{}", out.stderr);
}

/// Fast settings for a test worker: quick polling and retries, a short lease. A flag a
/// test passes itself replaces the one here (clap refuses a flag given twice).
pub const FAST: &[(&str, &str)] = &[
    ("--poll-interval", "50ms"),
    ("--retry-initial", "20ms"),
    ("--retry-max", "500ms"),
    ("--lease", "5s"),
    ("--request-timeout", "2s"),
    ("--metrics-addr", "127.0.0.1:0"),
    ("--progress-interval", "2s"),
];

/// [`FAST`] minus the flags `extra` sets, then `extra`.
fn merged_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = Vec::new();
    for (flag, value) in FAST {
        if !extra.contains(flag) {
            args.extend([*flag, *value]);
        }
    }
    args.extend_from_slice(extra);
    args
}

/// A running `certyo-queue work` process.
pub struct Worker {
    child: Child,
    pub name: String,
    pub stderr_path: PathBuf,
    status: Option<ExitStatus>,
}

impl Worker {
    /// Start `work --no-scheduled` against `db_url` and the emulator at `api_url`
    /// (default key and tenant), with [`FAST`] settings overridden by `extra`.
    pub fn spawn(name: &str, db_url: &str, api_url: &str, extra: &[&str]) -> Worker {
        let mut args = vec!["--no-scheduled"];
        args.extend_from_slice(extra);
        Worker::spawn_with_scheduled(name, db_url, api_url, &args)
    }

    /// Like [`Worker::spawn`], but the cleanup and verification loops run too.
    pub fn spawn_with_scheduled(name: &str, db_url: &str, api_url: &str, extra: &[&str]) -> Worker {
        let defaults = EmulatorConfig::default();
        let dir = scratch_dir(&format!("worker-{name}"));
        let stderr_path = dir.join("stderr.log");
        let mut args = vec!["work", "--database-url", db_url];
        args.extend(merged_args(extra));
        let mut cmd = command(&args);
        cmd.env("CERTYO_BASE_URL", api_url)
            .env("CERTYO_API_KEY", &defaults.api_key)
            .env("CERTYO_TENANT_ID", &defaults.tenant_id)
            .stdout(Stdio::null())
            .stderr(File::create(&stderr_path).unwrap());
        let child = cmd.spawn().expect("spawn certyo-queue work");
        Worker {
            child,
            name: name.to_string(),
            stderr_path,
            status: None,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Still running? (Reaps it if it exited.)
    pub fn is_running(&mut self) -> bool {
        if self.status.is_some() {
            return false;
        }
        match self.child.try_wait() {
            Ok(Some(s)) => {
                self.status = Some(s);
                false
            }
            _ => true,
        }
    }

    /// SIGKILL (what `Child::kill` sends on unix) and reap: no chance to clean up.
    pub fn kill9(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }

    /// SIGTERM, the way a service manager asks a process to stop.
    pub fn term(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -TERM {} failed", self.pid());
    }

    /// Wait for the process to exit, polling; panics with its stderr at the deadline.
    pub async fn wait_exit(&mut self, deadline: Duration) -> ExitStatus {
        let start = Instant::now();
        while self.is_running() {
            if start.elapsed() > deadline {
                panic!(
                    "worker {} did not exit within {deadline:?}; stderr:\n{}",
                    self.name,
                    self.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.status.expect("exit status")
    }

    /// Resident memory in KiB (VmRSS from /proc), while running.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Panic (with the stderr) if the process exited on its own.
    pub fn assert_running(&mut self) {
        if !self.is_running() {
            panic!(
                "worker {} exited unexpectedly ({:?}); stderr:\n{}",
                self.name,
                self.status,
                self.stderr()
            );
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill9();
        if !std::thread::panicking() {
            if let Some(dir) = self.stderr_path.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

/// A free TCP port on 127.0.0.1 (free when asked; good enough for a test server).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A server of its own, of the engine the suite runs on, in a temporary data directory,
/// that a test may kill and restart on the same data directory and port.
pub struct ThrowawayServer {
    pub dir: PathBuf,
    pub port: u16,
    child: Option<Child>,
    as_root: bool,
    /// Some: a MySQL server run inside this debootstrap tree (`dir` lies inside it).
    mysql_tree: Option<PathBuf>,
    /// More server options, given at every (re)start.
    extra_args: Vec<String>,
}

const INSTALL_HINT: &str = "this test starts its own MariaDB server and needs `mariadbd` and \
`mariadb-install-db` (Debian/Ubuntu: `sudo apt-get install mariadb-server`; they live in \
/usr/sbin and /usr/bin)";

fn find_program(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    if let Ok(path) = std::env::var("PATH") {
        for dir in path.split(':') {
            let p = Path::new(dir).join(name);
            if p.exists() {
                return p;
            }
        }
    }
    panic!("`{name}` not found: {INSTALL_HINT}");
}

fn effective_uid_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl ThrowawayServer {
    /// A server of the suite's engine (see `super::run_engine`): install a fresh data
    /// directory, start the server, and create the user `cq` (password `cq`) allowed
    /// everything over TCP, plus the database `shop`.
    pub async fn start() -> ThrowawayServer {
        Self::start_with(&[], &[]).await
    }

    /// [`Self::start`] with more server options: `mariadb` on MariaDB runs, `mysql` on
    /// MySQL runs (e.g. binary-log settings), given at every (re)start.
    pub async fn start_with(mariadb: &[&str], mysql: &[&str]) -> ThrowawayServer {
        match super::run_engine().await {
            super::Engine::MariaDb => {
                Self::start_mariadb(mariadb.iter().map(|a| a.to_string()).collect()).await
            }
            super::Engine::MySql => {
                Self::start_mysql(mysql.iter().map(|a| a.to_string()).collect()).await
            }
        }
    }

    async fn start_mysql(extra_args: Vec<String>) -> ThrowawayServer {
        let tree = super::throwaway_mysql::tree();
        let inside = format!(
            "/tmp/certyo-restart-{}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        let dir = tree.join(inside.trim_start_matches('/'));
        for sub in ["data", "tmp", "files"] {
            std::fs::create_dir_all(dir.join(sub))
                .unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        }
        for args in [
            vec![
                "chown".to_string(),
                "-R".into(),
                "mysql:mysql".into(),
                inside.clone(),
            ],
            vec![
                "mysqld".to_string(),
                "--no-defaults".into(),
                "--initialize-insecure".into(),
                "--user=mysql".into(),
                format!("--datadir={inside}/data"),
                format!("--log-error={inside}/init.log"),
            ],
        ] {
            let out = Command::new("chroot")
                .arg(&tree)
                .args(&args)
                .output()
                .unwrap_or_else(|e| panic!("chroot {}: {e}", tree.display()));
            assert!(
                out.status.success(),
                "chroot {} {args:?}: {}{}",
                tree.display(),
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(dir.join("init.log")).unwrap_or_default()
            );
        }
        let mut db = ThrowawayServer {
            dir,
            port: free_port(),
            child: None,
            as_root: true,
            mysql_tree: Some(tree),
            extra_args,
        };
        db.restart().await;
        // root@localhost has no password after --initialize-insecure; TCP from 127.0.0.1
        // logs in as it.
        let root = format!("mysql://root@127.0.0.1:{}/mysql", db.port);
        let cfg = certyo_queue::config::DbConfig::parse(&root).expect("root URL");
        let pool = certyo_queue::db::connect(&cfg, 1)
            .await
            .unwrap_or_else(|e| panic!("root login to the throwaway MySQL: {e}\n{}", db.log()));
        sqlx::raw_sql(
            "CREATE USER 'cq'@'%' IDENTIFIED BY 'cq'; \
             GRANT ALL ON *.* TO 'cq'@'%' WITH GRANT OPTION; \
             CREATE DATABASE shop;",
        )
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("creating the test user: {e}"));
        pool.close().await;
        db
    }

    /// The server's own log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    async fn start_mariadb(extra_args: Vec<String>) -> ThrowawayServer {
        let install = find_program("mariadb-install-db");
        find_program("mariadbd");
        let dir = scratch_dir("mariadb");
        let as_root = effective_uid_is_root();
        let user = if as_root {
            "mysql".to_string()
        } else {
            std::env::var("USER").unwrap_or_else(|_| "nobody".into())
        };
        let mut cmd = Command::new(install);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--user={user}"))
            .arg("--skip-test-db")
            .stdout(Stdio::null())
            .stderr(File::create(dir.join("install.log")).unwrap());
        if as_root {
            // mariadbd refuses to run as root; the mysql user must own everything.
            std::fs::create_dir_all(dir.join("data")).unwrap();
            let ok = Command::new("chown")
                .args(["-R", "mysql:", dir.to_str().unwrap()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "chown -R mysql {}: {INSTALL_HINT}", dir.display());
        }
        let status = cmd
            .status()
            .unwrap_or_else(|e| panic!("mariadb-install-db: {e}; {INSTALL_HINT}"));
        assert!(
            status.success(),
            "mariadb-install-db failed:\n{}",
            std::fs::read_to_string(dir.join("install.log")).unwrap_or_default()
        );
        let mut db = ThrowawayServer {
            dir,
            port: free_port(),
            child: None,
            as_root,
            mysql_tree: None,
            extra_args,
        };
        db.restart().await;
        let socket = db.socket();
        let me = if as_root {
            "root".to_string()
        } else {
            std::env::var("USER").unwrap_or_else(|_| "root".into())
        };
        let out = Command::new(find_program("mariadb"))
            .args(["--no-defaults", "-u", &me, "--socket"])
            .arg(&socket)
            .arg("-e")
            .arg(
                "CREATE USER 'cq'@'127.0.0.1' IDENTIFIED BY 'cq'; \
                 GRANT ALL ON *.* TO 'cq'@'127.0.0.1' WITH GRANT OPTION; \
                 CREATE DATABASE shop;",
            )
            .output()
            .unwrap_or_else(|e| panic!("mariadb client: {e}; {INSTALL_HINT}"));
        assert!(
            out.status.success(),
            "creating the test user over {}: {}",
            socket.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        db
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("mysqld.sock")
    }

    /// The URL of the `shop` database on this server.
    pub fn url(&self) -> String {
        format!("mysql://cq:cq@127.0.0.1:{}/shop", self.port)
    }

    /// Start the server (again) on the same data directory and port, and wait until it
    /// accepts TCP connections.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "server already running");
        let mut cmd = match &self.mysql_tree {
            Some(tree) => self.mysqld(tree),
            None => self.mariadbd(),
        };
        self.child = Some(
            cmd.spawn()
                .unwrap_or_else(|e| panic!("starting the server: {e}; {INSTALL_HINT}")),
        );
        let start = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "the server exited ({status}) while starting:\n{}",
                    self.log()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "the server did not accept connections on port {} within 90 s:\n{}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_file(&self) -> File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .unwrap_or_else(|e| panic!("open {}/server.log: {e}", self.dir.display()))
    }

    /// mysqld inside the tree, as the tree's mysql user, with MySQL's defaults (binary
    /// logging on).
    fn mysqld(&self, tree: &Path) -> Command {
        let inside = format!(
            "/{}",
            self.dir
                .strip_prefix(tree)
                .expect("the server directory lies in the tree")
                .display()
        );
        let mut cmd = Command::new("chroot");
        cmd.arg(tree)
            .arg("mysqld")
            .arg("--no-defaults")
            .arg("--user=mysql")
            .arg(format!("--datadir={inside}/data"))
            .arg(format!("--port={}", self.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={inside}/sock"))
            .arg(format!("--pid-file={inside}/mysqld.pid"))
            .arg(format!("--tmpdir={inside}/tmp"))
            .arg(format!("--secure-file-priv={inside}/files"))
            .arg("--mysqlx=OFF")
            .arg("--innodb-buffer-pool-size=64M")
            .arg("--max-connections=200")
            .stdout(Stdio::null())
            .args(&self.extra_args)
            .stderr(self.log_file());
        cmd
    }

    fn mariadbd(&self) -> Command {
        let mut cmd = Command::new(find_program("mariadbd"));
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", self.dir.join("data").display()))
            .arg(format!("--port={}", self.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", self.socket().display()))
            .arg(format!(
                "--pid-file={}",
                self.dir.join("mysqld.pid").display()
            ))
            .arg("--skip-name-resolve")
            .arg("--innodb-buffer-pool-size=64M")
            .arg("--max-connections=200")
            .stdout(Stdio::null())
            .args(&self.extra_args)
            .stderr(self.log_file());
        if self.as_root {
            cmd.arg("--user=mysql");
        }
        cmd
    }

    /// Kill the server outright (SIGKILL: a crash, InnoDB recovers on restart).
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Ask the server to shut down (SIGTERM) and wait for it.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if start.elapsed() > Duration::from_secs(60) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

impl Drop for ThrowawayServer {
    fn drop(&mut self) {
        self.kill9();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
