//! The rule-set routes under `/api/v1/rulesets`: the active version (with a long poll for
//! sensors), versions, diffs, validation, saving, rollback and export.

use std::time::{Duration, Instant};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quell_store::ExceptionProvenance;
use serde::{Deserialize, Serialize};

use crate::app::{ApiError, Shared};
use crate::rules::{Active, EffectiveFile, Expired};

/// The longest a long poll waits, in seconds.
pub const MAX_WAIT_SECS: u64 = 30;

/// A rule-set version as the API returns it.
#[derive(Serialize)]
pub(crate) struct VersionView<'a> {
    version: i64,
    /// `V.E`: the version and how many of its exceptions have expired; pass it back as `after`.
    revision: String,
    author: &'a str,
    at_ns: u64,
    comment: &'a str,
    /// The files in load order, as in effect (expired exceptions removed from local files).
    files: &'a [EffectiveFile],
    /// Every exception's provenance, with whether it has expired.
    exceptions: Vec<ExceptionView<'a>>,
    /// The exceptions past their expiry.
    expired: &'a [Expired],
    next_expiry_ns: Option<u64>,
}

#[derive(Serialize)]
struct ExceptionView<'a> {
    #[serde(flatten)]
    provenance: &'a ExceptionProvenance,
    expired: bool,
}

pub(crate) fn version_view(a: &Active) -> VersionView<'_> {
    let (v, e) = a.revision();
    VersionView {
        version: v,
        revision: format!("{v}.{e}"),
        author: &a.set.author,
        at_ns: a.set.at_ns,
        comment: &a.set.comment,
        files: &a.effect.files,
        exceptions: a
            .set
            .exceptions
            .iter()
            .map(|p| ExceptionView {
                provenance: p,
                expired: a
                    .effect
                    .expired
                    .iter()
                    .any(|x| x.rule == p.rule && x.name == p.name),
            })
            .collect(),
        expired: &a.effect.expired,
        next_expiry_ns: a.effect.next_expiry_ns,
    }
}

/// `after`: a revision `V.E` from a previous answer, or a bare version `V` (read as `V.0`).
fn parse_revision(s: &str) -> Option<(i64, usize)> {
    let (v, e) = match s.split_once('.') {
        Some((v, e)) => (v, e.parse().ok()?),
        None => (s, 0),
    };
    let v: i64 = v.parse().ok()?;
    (v >= 0).then_some((v, e))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActiveParams {
    after: Option<String>,
    wait: Option<u64>,
}

/// `GET /api/v1/rulesets/active?after=REV&wait=SECS`.
pub(crate) async fn get_active(
    State(state): State<Shared>,
    params: Result<Query<ActiveParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params?;
    let after = match p.after.as_deref() {
        Some(s) => Some(parse_revision(s).ok_or_else(|| {
            ApiError::bad_request(
                "`after` is a revision from a previous answer (`3.1`) or a version number (`3`)",
            )
        })?),
        None => None,
    };
    let wait = Duration::from_secs(p.wait.unwrap_or(0).min(MAX_WAIT_SECS));
    let deadline = Instant::now() + wait;
    let mut rx = state.rules.subscribe();
    loop {
        rx.borrow_and_update();
        let active = state.rules.active(&state.store, false).await?;
        match (&active, after) {
            (Some(a), None) => return Ok(axum::Json(version_view(a)).into_response()),
            (Some(a), Some(after)) if a.revision() > after => {
                return Ok(axum::Json(version_view(a)).into_response())
            }
            (None, None) => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "no rule set has been saved yet",
                ))
            }
            _ => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        // Wake at the deadline, at the next expiry, or to read the store again (another
        // server may have saved), whichever is first; or when this server announces a change.
        let mut until = deadline.min(now + crate::rules::RECHECK);
        if let Some(t) = active.as_ref().and_then(|a| a.effect.next_expiry_ns) {
            let in_ns = t.saturating_sub(crate::rules::now_ns());
            until = until.min(now + Duration::from_nanos(in_ns) + Duration::from_millis(1));
        }
        tokio::select! {
            changed = rx.changed() => {
                if changed.is_err() {
                    tokio::time::sleep_until(until.into()).await;
                }
            }
            _ = tokio::time::sleep_until(until.into()) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions() {
        assert_eq!(parse_revision("3"), Some((3, 0)));
        assert_eq!(parse_revision("3.2"), Some((3, 2)));
        assert_eq!(parse_revision("-1"), None);
        assert_eq!(parse_revision("3.x"), None);
        assert_eq!(parse_revision(""), None);
        assert!((3, 1) > (3, 0) && (4, 0) > (3, 9));
    }
}
