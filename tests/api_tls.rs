//! Certyo behind TLS with a private CA: without `--ca-file` the calls fail, each
//! retried row says the certificate is not trusted and a WARN line names it; with the CA
//! given, the same rows are delivered. The server is a small TLS stand-in of the test's
//! own, certificates made with `openssl`.
mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use certyo_queue::certyo::{CertyoClient, ClientOptions};
use certyo_queue::delivery::Delivery;
use common::{api_config, wait_until, worker_config, TestDb};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 signed by it, in `dir`.
fn make_certs(dir: &Path) {
    std::fs::write(
        dir.join("ca.cnf"),
        "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3_ca\n\
         [dn]\nCN = certyo-queue api test CA\n\
         [v3_ca]\nbasicConstraints = critical, CA:TRUE\n\
         keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-config",
            "ca.cnf",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
        ],
        dir,
    );
    openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server-key.pem",
            "-out",
            "server.csr",
        ],
        dir,
    );
    openssl(
        &[
            "x509",
            "-req",
            "-days",
            "2",
            "-CAcreateserial",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ],
        dir,
    );
}

/// An HTTPS stand-in answering every request 202 `{"recordHash":"tls-ok"}`.
async fn tls_api(dir: &Path) -> String {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut got = Vec::new();
                let mut buf = [0u8; 8192];
                // Read the head and the body its content-length announces.
                loop {
                    let Ok(n) = tls.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if got.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let body = r#"{"recordHash":"tls-ok"}"#;
                let answer = format!(
                    "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    url
}

#[tokio::test]
async fn a_private_ca_is_refused_until_given_with_ca_file_and_the_cause_is_named() {
    let dir = common::process::scratch_dir("api-tls");
    make_certs(&dir);
    let url = tls_api(&dir).await;
    let db = TestDb::with_products().await;
    db.insert_products(3).await;

    let mut cfg = worker_config(1);
    cfg.max_attempts = 1000;
    let untrusting = Arc::new(Delivery::new(
        db.pool.clone(),
        CertyoClient::new(api_config(&url, &db.name), None).unwrap(),
        cfg.clone(),
        db.name.clone(),
    ));
    let stop = CancellationToken::new();
    let task = tokio::spawn(Arc::clone(&untrusting).run(stop.clone()));
    wait_until(
        Duration::from_secs(15),
        "rows retried for an untrusted certificate",
        || async {
            db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE attempts >= 2 AND last_error LIKE '%TLS certificate not trusted%' AND lease_owner IS NULL").await == 3
        },
    )
    .await;
    stop.cancel();
    task.await.unwrap();
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1")
            .await,
        0
    );

    let options = ClientOptions {
        extra_roots_pem: Some(std::fs::read(dir.join("ca.pem")).unwrap()),
    };
    let trusting = Arc::new(Delivery::new(
        db.pool.clone(),
        CertyoClient::with_options(api_config(&url, &db.name), None, options).unwrap(),
        cfg,
        db.name.clone(),
    ));
    let stop = CancellationToken::new();
    let task = tokio::spawn(Arc::clone(&trusting).run(stop.clone()));
    wait_until(Duration::from_secs(15), "delivered over TLS", || async {
        db.pending().await == 0
    })
    .await;
    stop.cancel();
    task.await.unwrap();
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_record_hash = 'tls-ok'")
            .await,
        3
    );
    let _ = std::fs::remove_dir_all(&dir);
    db.finish().await;
}
