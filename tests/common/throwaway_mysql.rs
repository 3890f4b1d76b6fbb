//! A private MySQL 9.7 server for one test, run from the debootstrap tree that
//! `scripts/ensure-mysql.sh` builds (CERTYO_MYSQL_ROOT, default
//! ~/.cache/certyo-queue/mysql-sid): its own data directory inside the tree, a free port
//! on 127.0.0.1, optionally TLS with a CA and server certificate made by `openssl`.
//!
//! Invariant: the server is killed and its directory removed when the handle drops,
//! also when the test panics. A missing tree is a test failure saying how to make it.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::throwaway_mariadb::{make_ca, make_server_cert};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A running throwaway MySQL. root has no password (TCP login allowed).
pub struct ThrowawayMySql {
    pub port: u16,
    /// The server's directory as seen from the host.
    pub dir: PathBuf,
    /// The CA that signed the server certificate (with TLS), a host path.
    pub ca: Option<PathBuf>,
    child: Option<Child>,
}

/// The tree with mysqld, or a panic saying how to build it.
pub fn tree() -> PathBuf {
    let root = std::env::var_os("CERTYO_MYSQL_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
                });
            cache.join("certyo-queue/mysql-sid")
        });
    if !root.join("usr/sbin/mysqld").is_file() {
        panic!(
            "no MySQL tree at {} (this test starts a throwaway MySQL 9.7 from it): run \
             `bash scripts/ensure-mysql.sh` (or `bash .ci/run`), or set CERTYO_MYSQL_ROOT",
            root.display()
        );
    }
    root
}

impl ThrowawayMySql {
    /// Create, initialise and start the server; returns once it accepts connections.
    pub fn start(tls: bool, require_secure_transport: bool) -> ThrowawayMySql {
        Self::start_with(tls, require_secure_transport, false)
    }

    /// As `start`, with MySQL's default binary logging (ROW) when `log_bin`.
    pub fn start_with(tls: bool, require_secure_transport: bool, log_bin: bool) -> ThrowawayMySql {
        let root = tree();
        let inside = format!(
            "/tmp/certyo-mysql-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        let dir = root.join(inside.trim_start_matches('/'));
        for sub in ["data", "tmp", "files"] {
            std::fs::create_dir_all(dir.join(sub)).expect("create the server directory");
        }
        let mut server = ThrowawayMySql {
            port: 0,
            dir: dir.clone(),
            ca: None,
            child: None,
        };
        let mut tls_args = Vec::new();
        if tls {
            server.ca = Some(make_ca(&dir, "ca"));
            make_server_cert(&dir, "ca");
            tls_args = vec![
                format!("--ssl-ca={inside}/ca.pem"),
                format!("--ssl-cert={inside}/server-cert.pem"),
                format!("--ssl-key={inside}/server-key.pem"),
            ];
        }
        run(Command::new("chroot")
            .arg(&root)
            .args(["chown", "-R", "mysql:mysql", &inside]));
        run(Command::new("chroot").arg(&root).args([
            "mysqld",
            "--no-defaults",
            "--initialize-insecure",
            "--user=mysql",
            &format!("--datadir={inside}/data"),
            &format!("--log-error={inside}/init.log"),
        ]));
        server.port = free_port();
        let mut cmd = Command::new("chroot");
        cmd.arg(&root)
            .arg("mysqld")
            .arg("--no-defaults")
            .arg("--user=mysql")
            .arg(format!("--datadir={inside}/data"))
            .arg(format!("--port={}", server.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={inside}/sock"))
            .arg(format!("--pid-file={inside}/mysqld.pid"))
            .arg(format!("--log-error={inside}/error.log"))
            .arg(format!("--tmpdir={inside}/tmp"))
            .arg(format!("--secure-file-priv={inside}/files"))
            .arg("--mysqlx=OFF")
            .arg(if log_bin {
                "--log-bin=binlog"
            } else {
                "--skip-log-bin"
            })
            .arg("--innodb-buffer-pool-size=32M")
            .args(&tls_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if require_secure_transport {
            cmd.arg("--require-secure-transport=ON");
        }
        server.child = Some(cmd.spawn().expect("start mysqld in the tree"));
        let addr = SocketAddr::from(([127, 0, 0, 1], server.port));
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            // Ready when the server greets (a listener that only accepts is not mysqld
            // ready for logins: e.g. it is still starting, or another process took the
            // port between our pick and its bind).
            if let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut greeting = [0u8; 4];
                if std::io::Read::read(&mut stream, &mut greeting).is_ok_and(|n| n > 0) {
                    break;
                }
            }
            let exited = server
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                panic!(
                    "the throwaway mysqld did not start on {addr} ({exited:?}); its log:\n{}",
                    server.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// `mysql://user[:password]@127.0.0.1:PORT/{database}?{params}`.
    pub fn url_as(&self, user: &str, password: &str, database: &str, params: &str) -> String {
        let auth = if password.is_empty() {
            user.to_string()
        } else {
            format!("{user}:{password}")
        };
        let base = format!("mysql://{auth}@127.0.0.1:{}/{database}", self.port);
        if params.is_empty() {
            base
        } else {
            format!("{base}?{params}")
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for ThrowawayMySql {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}
