//! The HTTP client of a sensor: ureq (blocking, one agent shared by the sensor's threads)
//! over rustls with Mozilla's roots, or only the CA given with `--ca-file`. Certificates are
//! always verified.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value as Json;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// The content type of a sensor's batch: JSON Lines of `{"alert": {...}, "context": {...}}`.
pub const SENSOR_BATCH_CONTENT_TYPE: &str = "application/x-quell-sensor+jsonl";

/// Why a request did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached or did not answer in time: try again later.
    #[error("{0}")]
    Unreachable(String),
    /// The server answered with an error status.
    #[error("the server answered {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The server's `error` message (or the start of its body).
        message: String,
    },
    /// The answer was not what the API documents.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The client's configuration (URL, CA file, token) is unusable.
    #[error("{0}")]
    Config(String),
}

impl ClientError {
    /// Whether the same request may succeed later unchanged (server away, 5xx, 408, 429;
    /// also 401 and 403, which an operator fixes on the server without restarting sensors).
    pub fn retryable(&self) -> bool {
        match self {
            ClientError::Unreachable(_) => true,
            ClientError::Status { status, .. } => {
                *status >= 500 || matches!(status, 401 | 403 | 408 | 429)
            }
            ClientError::Protocol(_) | ClientError::Config(_) => false,
        }
    }
}

/// What the client needs: where the server is, the token, an optional private CA.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// A rule set as `GET /api/v1/rulesets/active` gives it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ActiveRuleSet {
    /// The version.
    pub version: i64,
    /// `V.E`: the version and how many of its exceptions have expired (an expiry changes
    /// the rules in effect without a new version); passed back as `after`.
    #[serde(default)]
    pub revision: String,
    /// Its files, in the order they load.
    pub files: Vec<RuleFileText>,
}

/// One file of a rule set.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RuleFileText {
    /// Its name.
    pub name: String,
    /// Its text.
    pub contents: String,
}

/// The answer of a long poll for the active rule set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Active {
    /// The active revision (newer than the one asked `after`).
    Version(ActiveRuleSet),
    /// Nothing newer within the wait (204), or the server has no rule set (404).
    Unchanged,
}

fn error_message(body: &str) -> String {
    match serde_json::from_str::<Json>(body) {
        Ok(v) => v["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| excerpt(body)),
        Err(_) => excerpt(body),
    }
}

fn excerpt(body: &str) -> String {
    let mut s: String = body.chars().take(200).collect();
    if s.len() < body.len() {
        s.push('…');
    }
    s
}

impl Client {
    /// A client of the server at `base` (`http://host:port` or `https://…`) with `token`;
    /// `ca_file`, a PEM file, replaces the public roots (a private CA).
    pub fn new(base: &str, token: &str, ca_file: Option<&Path>) -> Result<Client, ClientError> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::Config(format!(
                "the server URL must start with http:// or https://: {base}"
            )));
        }
        let token = token.trim();
        if token.is_empty() || token.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(ClientError::Config(
                "the token is empty or not printable ASCII (the file given with --token-file holds one token from `quell token new`)".into(),
            ));
        }
        let mut tls = TlsConfig::builder();
        if let Some(path) = ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                ClientError::Config(format!("cannot read the CA file {}: {e}", path.display()))
            })?;
            let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(ClientError::Config(format!(
                    "no certificate in the CA file {}",
                    path.display()
                )));
            }
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls.build())
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(30)))
            .user_agent(concat!("quell-sensor/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Client {
            agent: config.new_agent(),
            base,
            auth: format!("Bearer {token}"),
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn finish(
        &self,
        r: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, String), ClientError> {
        let mut resp = r.map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .map_err(|e| ClientError::Unreachable(format!("reading the answer: {e}")))?;
        if (200..300).contains(&status) {
            Ok((status, body))
        } else {
            Err(ClientError::Status {
                status,
                message: error_message(&body),
            })
        }
    }

    /// `POST /api/v1/alerts` with a sensor batch (`body`: JSON Lines of envelopes), waiting
    /// at most `timeout`. Ok once the server has committed it.
    pub fn post_alerts(&self, body: &[u8], timeout: Duration) -> Result<(), ClientError> {
        let r = self
            .agent
            .post(format!("{}/api/v1/alerts", self.base))
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("Authorization", &self.auth)
            .header("Content-Type", SENSOR_BATCH_CONTENT_TYPE)
            .send(body);
        self.finish(r).map(|_| ())
    }

    /// `POST` of a JSON body to `path` (`/api/v1/...`): the answer's body.
    fn post_json(&self, path: &str, body: &Json, timeout: Duration) -> Result<String, ClientError> {
        let body = serde_json::to_vec(body).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let r = self
            .agent
            .post(format!("{}{path}", self.base))
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("Authorization", &self.auth)
            .header("Content-Type", "application/json")
            .send(&body[..]);
        self.finish(r).map(|(_, text)| text)
    }

    /// `POST /api/v1/sensors`: the heartbeat.
    pub fn post_heartbeat(&self, report: &Json, timeout: Duration) -> Result<(), ClientError> {
        self.post_json("/api/v1/sensors", report, timeout)
            .map(|_| ())
    }

    /// `POST /api/v1/assistant` (`quell ask --server`): the question's body
    /// (`{question, about?, lang?}`) → the answer's JSON, waiting at most `timeout`.
    pub fn post_assistant(&self, body: &Json, timeout: Duration) -> Result<Json, ClientError> {
        let text = self.post_json("/api/v1/assistant", body, timeout)?;
        serde_json::from_str(&text).map_err(|e| ClientError::Protocol(format!("the answer: {e}")))
    }

    /// `GET /api/v1/rulesets/active?after=REV&wait=SECS`: the active rule set if its
    /// revision is newer than `after` (at once when `after` is `None`), waiting up to `wait`
    /// for one.
    pub fn active_rules(&self, after: Option<&str>, wait: Duration) -> Result<Active, ClientError> {
        let mut req = self
            .agent
            .get(format!("{}/api/v1/rulesets/active", self.base))
            .config()
            .timeout_global(Some(wait + Duration::from_secs(15)))
            .build()
            .header("Authorization", &self.auth);
        if let Some(v) = after {
            req = req
                .query("after", v)
                .query("wait", wait.as_secs().to_string());
        }
        match self.finish(req.call()) {
            Ok((204, _)) => Ok(Active::Unchanged),
            Ok((_, body)) => {
                let mut set = serde_json::from_str::<ActiveRuleSet>(&body)
                    .map_err(|e| ClientError::Protocol(format!("the active rule set: {e}")))?;
                if set.revision.is_empty() {
                    set.revision = set.version.to_string();
                }
                Ok(Active::Version(set))
            }
            Err(ClientError::Status { status: 404, .. }) => Ok(Active::Unchanged),
            Err(e) => Err(e),
        }
    }
}
