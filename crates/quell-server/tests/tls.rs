//! `quell serve --tls-cert --tls-key`: HTTPS over loopback with a self-signed certificate
//! made in the test (rcgen), spoken to with rustls as a client that trusts only it.

use std::sync::Arc;
use std::time::Duration;

use quell_server::Config;
use quell_store::{NewToken, Role, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

#[allow(deprecated)] // rustls' ring provider: see quell_server::tls_config
fn ring() -> Arc<tokio_rustls::rustls::crypto::CryptoProvider> {
    Arc::new(tokio_rustls::rustls::crypto::ring::default_provider())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_self_signed_certificate() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.key_pair.serialize_pem());
    // Garbage is refused with a sentence, not a panic.
    assert!(quell_server::tls_config(b"not pem", key_pem.as_bytes()).is_err());
    assert!(quell_server::tls_config(cert_pem.as_bytes(), b"").is_err());
    let other = rcgen::generate_simple_self_signed(vec!["x".to_string()]).unwrap();
    assert!(
        quell_server::tls_config(
            cert_pem.as_bytes(),
            other.key_pair.serialize_pem().as_bytes()
        )
        .is_err(),
        "a key of another certificate"
    );
    let tls = quell_server::tls_config(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("q.db").to_str().unwrap())
        .await
        .unwrap();
    let token = store
        .create_token(NewToken::new("v", Role::Viewer, "test"))
        .await
        .unwrap()
        .token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(quell_server::serve_on_tls(
        listener,
        tls,
        store,
        Config::default(),
        async {
            let _ = stopped.await;
        },
    ));

    // A plain-HTTP client gets no HTTP answer; its failed handshake stops no one else.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut buf)).await;
    assert!(!buf.starts_with(b"HTTP/1.1 200"), "{buf:?}");

    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(cert.cert.der().to_vec()))
        .unwrap();
    let client = ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let get = |path: &'static str, auth: Option<String>| {
        let connector = connector.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut s = connector
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
                .unwrap();
            let mut req =
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
            if let Some(t) = auth {
                req.push_str(&format!("Authorization: Bearer {t}\r\n"));
            }
            req.push_str("\r\n");
            s.write_all(req.as_bytes()).await.unwrap();
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out).await;
            String::from_utf8_lossy(&out).into_owned()
        }
    };
    let r = get("/healthz", None).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(r.ends_with("ok\n"), "{r}");
    let r = get("/api/v1/rulesets", None).await;
    assert!(r.starts_with("HTTP/1.1 401"), "{r}");
    let r = get("/api/v1/rulesets", Some(token)).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(r.contains("\"versions\":[]"), "{r}");
    // A client that does not trust the certificate fails the handshake.
    let strict = ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let refused = tokio_rustls::TlsConnector::from(Arc::new(strict))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await;
    assert!(refused.is_err());

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
