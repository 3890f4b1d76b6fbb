//! A private MariaDB server for one test: its own temporary data directory, a free port
//! on 127.0.0.1, optionally TLS with a CA and server certificate made by the `openssl`
//! CLI. Tests that need a server configured unlike the shared development server (TLS
//! required, other settings) start one of these.
//!
//! Invariant: the server process is killed and its directory removed when the handle is
//! dropped, also when the test panics. Missing tools are a test failure naming the
//! Debian package to install, never a skip.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// How the server is set up.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Make a CA and a server certificate (for 127.0.0.1 and localhost) and serve TLS.
    pub tls: bool,
    /// Refuse connections that are not encrypted (`--require-secure-transport=ON`).
    pub require_secure_transport: bool,
    /// More `mariadbd` arguments, e.g. `--log-bin`.
    pub extra_args: Vec<String>,
}

/// A running throwaway server. root has no password (TCP login allowed).
pub struct ThrowawayMariaDb {
    pub port: u16,
    /// The server's directory (data, certificates, logs, socket).
    pub dir: PathBuf,
    /// The CA that signed the server certificate (with `tls`).
    pub ca: Option<PathBuf>,
    child: Option<Child>,
}

/// The tools this module needs and the Debian package that provides each.
const TOOLS: &[(&str, &str)] = &[
    ("openssl", "openssl"),
    ("mariadbd", "mariadb-server"),
    ("mariadb-install-db", "mariadb-server"),
];

impl ThrowawayMariaDb {
    /// Create, initialise and start the server; returns once it accepts connections.
    /// Panics with a readable message on any failure.
    pub fn start(opts: Options) -> ThrowawayMariaDb {
        for (tool, package) in TOOLS {
            if *tool == "openssl" && !opts.tls {
                continue;
            }
            if find_tool(tool).is_none() {
                panic!(
                    "`{tool}` not found (looked in PATH, /usr/sbin, /usr/bin); this test starts a \
                     throwaway MariaDB server and needs it. Install the Debian package: \
                     sudo apt-get install {package}"
                );
            }
        }
        let dir = std::env::temp_dir().join(format!(
            "certyo-mariadb-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        ));
        std::fs::create_dir_all(dir.join("data")).expect("create the server directory");
        // Its own tmpdir: servers sharing /tmp have been seen to trip over each other's
        // temporary table files.
        std::fs::create_dir_all(dir.join("tmp")).expect("create the server's tmpdir");
        let mut server = ThrowawayMariaDb {
            port: 0,
            dir,
            ca: None,
            child: None,
        };
        let mut tls_args = Vec::new();
        if opts.tls {
            let ca = make_ca(&server.dir, "ca");
            make_server_cert(&server.dir, "ca");
            tls_args = vec![
                format!(
                    "--ssl-cert={}",
                    server.dir.join("server-cert.pem").display()
                ),
                format!("--ssl-key={}", server.dir.join("server-key.pem").display()),
                format!("--ssl-ca={}", ca.display()),
            ];
            server.ca = Some(ca);
        }
        let as_root = is_root();
        if as_root {
            // mariadbd runs as mysql and must own its directory.
            run(Command::new("chown")
                .arg("-R")
                .arg("mysql:mysql")
                .arg(&server.dir));
        }
        let datadir = server.dir.join("data");
        let mut install = Command::new(find_tool("mariadb-install-db").unwrap_or_default());
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", datadir.display()))
            .arg(format!("--tmpdir={}", server.dir.join("tmp").display()))
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db");
        if as_root {
            install.arg("--user=mysql");
        }
        run(&mut install);

        server.port = free_port();
        let log = server.dir.join("error.log");
        let mut cmd = Command::new(find_tool("mariadbd").unwrap_or_default());
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", datadir.display()))
            .arg(format!("--port={}", server.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", server.dir.join("sock").display()))
            .arg(format!(
                "--pid-file={}",
                server.dir.join("mariadbd.pid").display()
            ))
            .arg(format!("--log-error={}", log.display()))
            .arg(format!("--tmpdir={}", server.dir.join("tmp").display()))
            .arg("--skip-log-bin")
            .arg("--innodb-buffer-pool-size=32M")
            .args(&tls_args)
            .args(&opts.extra_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if opts.require_secure_transport {
            cmd.arg("--require-secure-transport=ON");
        }
        if as_root {
            cmd.arg("--user=mysql");
        }
        server.child = Some(cmd.spawn().expect("start mariadbd"));

        let addr = SocketAddr::from(([127, 0, 0, 1], server.port));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // Ready when the server greets, not when something merely accepts.
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
                let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                panic!(
                    "the throwaway mariadbd did not start listening on {addr} ({}); its log:\n{log_text}",
                    match exited {
                        Some(status) => format!("exited with {status}"),
                        None => "still silent after 60 s".to_string(),
                    }
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// `mysql://root@127.0.0.1:PORT/{database}`, plus `?{params}` when not empty.
    pub fn url(&self, database: &str, params: &str) -> String {
        let base = format!("mysql://root@127.0.0.1:{}/{database}", self.port);
        if params.is_empty() {
            base
        } else {
            format!("{base}?{params}")
        }
    }

    /// The server's error log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    /// Kill the server and remove its directory (dropping the handle does the same).
    pub fn stop(self) {}
}

impl Drop for ThrowawayMariaDb {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Make a self-signed CA named `name` in `dir`: `{name}.pem` and `{name}-key.pem`.
/// Returns the certificate's path.
pub fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let cnf = dir.join(format!("{name}.cnf"));
    std::fs::write(
        &cnf,
        format!(
            "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3_ca\n\
             [dn]\nCN = certyo-queue test CA {name}\n\
             [v3_ca]\nbasicConstraints = critical, CA:TRUE\n\
             keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n"
        ),
    )
    .expect("write the CA config");
    let cert = dir.join(format!("{name}.pem"));
    run(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .arg("-config")
        .arg(&cnf)
        .arg("-keyout")
        .arg(dir.join(format!("{name}-key.pem")))
        .arg("-out")
        .arg(&cert));
    cert
}

/// Make `server-cert.pem`/`server-key.pem` in `dir` for 127.0.0.1 and localhost,
/// signed by the CA `ca` made by [`make_ca`] in the same directory.
pub fn make_server_cert(dir: &Path, ca: &str) {
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "basicConstraints = CA:FALSE\n\
         keyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = DNS:localhost, IP:127.0.0.1\n",
    )
    .expect("write the server certificate extensions");
    run(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(dir.join("server-key.pem"))
        .arg("-out")
        .arg(dir.join("server.csr")));
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
        .arg("-in")
        .arg(dir.join("server.csr"))
        .arg("-CA")
        .arg(dir.join(format!("{ca}.pem")))
        .arg("-CAkey")
        .arg(dir.join(format!("{ca}-key.pem")))
        .arg("-extfile")
        .arg(&ext)
        .arg("-out")
        .arg(dir.join("server-cert.pem")));
}

/// Run a command to completion; panic with its output if it fails.
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

/// The full path of `tool`: PATH first, then the sbin directories a non-root PATH lacks.
fn find_tool(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}
