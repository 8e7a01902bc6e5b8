//! The HTTP call to the model: ureq, blocking, with the time left as its global timeout,
//! certificates verified (rustls, Mozilla's roots). Only this file does network I/O.

use std::time::Duration;

use super::{HttpReply, Transport, TransportError};

/// The largest reply read from a model (bytes); a longer one is an error.
const MAX_REPLY: u64 = 4 << 20;

/// The real transport: one ureq request per call.
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpTransport;

impl Transport for HttpTransport {
    fn post(
        &self,
        url: &str,
        key: Option<&str>,
        body: &str,
        timeout: Duration,
    ) -> Result<HttpReply, TransportError> {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("quell-assist/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        let mut req = agent.post(url).header("Content-Type", "application/json");
        if let Some(k) = key {
            req = req.header("Authorization", &format!("Bearer {k}"));
        }
        let mut resp = req.send(body).map_err(map_err)?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_REPLY)
            .read_to_string()
            .map_err(|e| match map_err(e) {
                TransportError::Unreachable(m) => TransportError::Body(m),
                other => other,
            })?;
        Ok(HttpReply { status, body })
    }
}

fn map_err(e: ureq::Error) -> TransportError {
    match e {
        ureq::Error::Timeout(t) => TransportError::Timeout(format!("timed out ({t})")),
        ureq::Error::Io(ref io) if io.kind() == std::io::ErrorKind::TimedOut => {
            TransportError::Timeout(e.to_string())
        }
        ureq::Error::BodyExceedsLimit(n) => {
            TransportError::Body(format!("the reply is longer than {n} bytes"))
        }
        other => TransportError::Unreachable(other.to_string()),
    }
}
