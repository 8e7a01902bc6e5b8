//! The rule-set routes under `/api/v1/rulesets`: the active version (with a long poll for
//! sensors), versions, diffs, validation, saving, rollback and export.

use std::time::{Duration, Instant};

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use quell_rules::yaml::Node;
use quell_store::{ExceptionProvenance, NewRuleSet, RuleFile, RuleSet};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use crate::app::{read_body, read_json, ApiError, Caller, Shared};
use crate::rules::{
    base_files, check_expiring, in_effect, is_base, load_engine, load_order, now_ns, Active,
    EffectiveFile, Expired,
};

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

/// The most local files a version may hold.
pub const MAX_FILES: usize = 100;

fn not_found(version: i64) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no rule-set version {version}"),
    )
}

fn version_param(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::bad_request("a rule-set version is a positive number"))
}

async fn stored(state: &Shared, version: i64) -> Result<RuleSet, ApiError> {
    state
        .store
        .ruleset(version)
        .await?
        .ok_or_else(|| not_found(version))
}

/// `GET /api/v1/rulesets`: every version, newest first.
pub(crate) async fn get_rulesets(
    State(state): State<Shared>,
) -> Result<axum::Json<Json>, ApiError> {
    let versions = state.store.rulesets().await?;
    let active = versions.first().map(|v| v.version);
    Ok(axum::Json(json!({"active": active, "versions": versions})))
}

/// A stored version: files as stored (in load order, with their kind), each exception's
/// provenance with whether it has expired now.
fn stored_view(rs: &RuleSet, active: bool) -> Json {
    let now = now_ns();
    let files: Vec<Json> = load_order(&rs.files)
        .into_iter()
        .map(|f| {
            json!({"name": f.name, "kind": if is_base(&f.name) { "base" } else { "local" }, "contents": f.contents})
        })
        .collect();
    let exceptions: Vec<Json> = rs
        .exceptions
        .iter()
        .map(|p| {
            let mut v = serde_json::to_value(p).unwrap_or(Json::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "expired".into(),
                    Json::Bool(p.expires_ns.is_some_and(|t| t <= now)),
                );
            }
            v
        })
        .collect();
    json!({
        "version": rs.version, "author": rs.author, "at_ns": rs.at_ns, "comment": rs.comment,
        "active": active, "files": files, "exceptions": exceptions,
    })
}

/// `GET /api/v1/rulesets/{version}`.
pub(crate) async fn get_ruleset(
    State(state): State<Shared>,
    Path(version): Path<String>,
) -> Result<axum::Json<Json>, ApiError> {
    let version = version_param(&version)?;
    let rs = stored(&state, version).await?;
    let latest = state.store.rulesets().await?.first().map(|v| v.version);
    Ok(axum::Json(stored_view(&rs, latest == Some(version))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiffParams {
    from: String,
    to: String,
}

/// `GET /api/v1/rulesets/diff?from=A&to=B`: a unified diff per file, and the exceptions
/// whose provenance was added or removed.
pub(crate) async fn get_diff(
    State(state): State<Shared>,
    params: Result<Query<DiffParams>, QueryRejection>,
) -> Result<axum::Json<Json>, ApiError> {
    let Query(p) = params?;
    let (from, to) = (version_param(&p.from)?, version_param(&p.to)?);
    let a = stored(&state, from).await?;
    let b = stored(&state, to).await?;
    let mut names: Vec<&str> = a
        .files
        .iter()
        .chain(&b.files)
        .map(|f| f.name.as_str())
        .collect();
    names.sort_by(|x, y| (!is_base(x), *x).cmp(&(!is_base(y), *y)));
    names.dedup();
    let text_of = |rs: &'_ RuleSet, n: &str| -> Option<String> {
        rs.files
            .iter()
            .find(|f| f.name == n)
            .map(|f| f.contents.clone())
    };
    let mut files = Vec::new();
    for n in names {
        let (x, y) = (text_of(&a, n), text_of(&b, n));
        let status = match (&x, &y) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(x), Some(y)) if x == y => continue,
            _ => "modified",
        };
        let (x, y) = (x.unwrap_or_default(), y.unwrap_or_default());
        let diff = similar::TextDiff::from_lines(&x, &y)
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("a/{n} (version {from})"),
                &format!("b/{n} (version {to})"),
            )
            .to_string();
        files.push(json!({"name": n, "kind": if is_base(n) { "base" } else { "local" }, "status": status, "diff": diff}));
    }
    let key = |p: &ExceptionProvenance| (p.rule.clone(), p.name.clone());
    let ka: Vec<_> = a.exceptions.iter().map(key).collect();
    let kb: Vec<_> = b.exceptions.iter().map(key).collect();
    let added: Vec<Json> = b
        .exceptions
        .iter()
        .filter(|p| !ka.contains(&key(p)))
        .map(|p| json!({"rule": p.rule, "name": p.name}))
        .collect();
    let removed: Vec<Json> = a
        .exceptions
        .iter()
        .filter(|p| !kb.contains(&key(p)))
        .map(|p| json!({"rule": p.rule, "name": p.name}))
        .collect();
    Ok(axum::Json(json!({
        "from": from, "to": to, "files": files,
        "exceptions": {"added": added, "removed": removed},
    })))
}

/// A local file in a request body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileBody {
    name: String,
    contents: String,
}

/// An exception's provenance in a request body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExceptionBody {
    rule: String,
    name: String,
    proposer: Option<String>,
    verification: Option<Json>,
    #[serde(default)]
    comment: String,
    /// RFC 3339.
    expires: Option<String>,
    expires_ns: Option<u64>,
}

/// The body of `POST /api/v1/rulesets` and `/validate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SaveBody {
    #[serde(default)]
    comment: String,
    files: Vec<FileBody>,
    #[serde(default)]
    exceptions: Vec<ExceptionBody>,
}

/// A problem found in rules, as data: a stable code, the file, line and column.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Problem {
    code: String,
    severity: &'static str,
    message: String,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    item_type: Option<String>,
    item_name: Option<String>,
}

impl Problem {
    fn quell(code: &str, message: String, file: Option<&str>) -> Problem {
        Problem {
            code: code.to_string(),
            severity: "error",
            message,
            file: file.map(str::to_string),
            line: None,
            column: None,
            item_type: None,
            item_name: None,
        }
    }

    fn of(d: &quell_rules::Diagnostic) -> Problem {
        let pos = d.position();
        // The item is the outermost location with a name (the rule, macro or list).
        let item = d.locations.iter().find(|l| !l.item_name.is_empty());
        Problem {
            code: d.code.name().to_string(),
            severity: match d.severity() {
                quell_rules::Severity::Error => "error",
                quell_rules::Severity::Warning => "warning",
            },
            message: d.message.clone(),
            file: pos.map(|p| p.name.clone()),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            item_type: item.map(|l| l.item_type.clone()),
            item_name: item.map(|l| l.item_name.clone()),
        }
    }
}

/// Whether `name` may name a local file: `NAME.yaml`/`.yml` or `DIR/NAME.yaml`, ASCII
/// letters, digits, `.`, `_`, `-`; not a base file's name.
fn local_name_ok(name: &str) -> bool {
    name.len() <= 200
        && !is_base(name)
        && (name.ends_with(".yaml") || name.ends_with(".yml"))
        && name.split('/').count() <= 2
        && name.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'))
        })
}

/// A candidate version checked: the files to store (base files of the active version,
/// else `quell serve -r`'s, then the local files), its exceptions, and every problem.
pub(crate) struct Checked {
    files: Vec<RuleFile>,
    exceptions: Vec<ExceptionProvenance>,
    problems: Vec<Problem>,
}

impl Checked {
    fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == "error")
            .count()
    }

    fn answer(&self) -> Json {
        json!({
            "ok": self.errors() == 0,
            "errors": self.errors(),
            "warnings": self.problems.len() - self.errors(),
            "diagnostics": self.problems,
        })
    }
}

/// The base files a new version gets: the active version's, else `quell serve -r`'s.
async fn current_base(state: &Shared) -> Result<(Vec<RuleFile>, Option<Arc<Active>>), ApiError> {
    let active = state.rules.active(&state.store, false).await?;
    let base = match &active {
        Some(a) => a
            .set
            .files
            .iter()
            .filter(|f| is_base(&f.name))
            .cloned()
            .collect(),
        None => base_files(&state.config.base_rules),
    };
    Ok((base, active))
}

/// Checks local files and exceptions against `base`: names, the whole set loaded through
/// quell-rules, each exception's provenance naming an exception of the local files, and
/// each expiring exception removable when it expires.
pub(crate) fn check(
    base: Vec<RuleFile>,
    body: SaveBody,
    proposer: &str,
    previous: Option<&RuleSet>,
) -> Checked {
    let mut problems = Vec::new();
    if body.files.len() > MAX_FILES {
        problems.push(Problem::quell(
            "QUELL_TOO_MANY_FILES",
            format!("at most {MAX_FILES} local files"),
            None,
        ));
    }
    let mut files = base;
    let mut seen = std::collections::BTreeSet::new();
    for f in body.files {
        if !local_name_ok(&f.name) {
            problems.push(Problem::quell(
                "QUELL_BAD_FILE_NAME",
                "a local file is named NAME.yaml or DIR/NAME.yaml (ASCII letters, digits, `.`, `_`, `-`), not base/…".into(),
                Some(&f.name),
            ));
            continue;
        }
        if !seen.insert(f.name.clone()) {
            problems.push(Problem::quell(
                "QUELL_DUPLICATE_FILE",
                "two local files have this name".into(),
                Some(&f.name),
            ));
            continue;
        }
        files.push(RuleFile::new(f.name, f.contents));
    }
    let order: Vec<(String, String)> = load_order(&files)
        .into_iter()
        .map(|f| (f.name.clone(), f.contents.clone()))
        .collect();
    let (_, results) = load_engine(order.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    for r in &results {
        problems.extend(r.errors.iter().map(Problem::of));
        problems.extend(r.warnings.iter().map(Problem::of));
    }
    // Exceptions named in the local files, by (rule, name).
    let mut named = std::collections::BTreeSet::new();
    for f in files.iter().filter(|f| !is_base(&f.name)) {
        if let Ok(docs) = quell_rules::yaml::parse_all(&f.name, &f.contents) {
            for item in docs.iter().flatten().filter_map(Node::as_seq).flatten() {
                let Some(rule) = item.get("rule").and_then(Node::as_scalar) else {
                    continue;
                };
                for e in item
                    .get("exceptions")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                {
                    if let Some(n) = e.get("name").and_then(Node::as_scalar) {
                        named.insert((rule.to_string(), n.to_string()));
                    }
                }
            }
        }
    }
    let now = now_ns();
    let mut exceptions: Vec<ExceptionProvenance> = Vec::new();
    for e in body.exceptions {
        let key = (e.rule.clone(), e.name.clone());
        if !named.contains(&key) {
            problems.push(Problem::quell(
                "QUELL_PROVENANCE_UNKNOWN_EXCEPTION",
                format!(
                    "no local file has an exception {:?} in rule {:?}",
                    e.name, e.rule
                ),
                None,
            ));
            continue;
        }
        if exceptions
            .iter()
            .any(|x| x.rule == e.rule && x.name == e.name)
        {
            problems.push(Problem::quell(
                "QUELL_DUPLICATE_PROVENANCE",
                format!("exception {:?} of rule {:?} is given twice", e.name, e.rule),
                None,
            ));
            continue;
        }
        let expires_ns = match (e.expires.as_deref(), e.expires_ns) {
            (Some(_), Some(_)) => {
                problems.push(Problem::quell(
                    "QUELL_BAD_EXPIRY",
                    "give `expires` or `expires_ns`, not both".into(),
                    None,
                ));
                continue;
            }
            (Some(t), None) => match quell_rules::output::parse_falco_time(t) {
                Some(ns) => Some(ns),
                None => {
                    problems.push(Problem::quell(
                        "QUELL_BAD_EXPIRY",
                        "`expires` is an RFC 3339 time (2026-12-31T00:00:00Z)".into(),
                        None,
                    ));
                    continue;
                }
            },
            (None, ns) => ns,
        };
        if expires_ns.is_some_and(|t| t <= now || i64::try_from(t).is_err()) {
            problems.push(Problem::quell(
                "QUELL_BAD_EXPIRY",
                format!(
                    "the expiry of exception {:?} of rule {:?} is in the past (or out of range)",
                    e.name, e.rule
                ),
                None,
            ));
            continue;
        }
        let mut p = ExceptionProvenance::new(
            e.rule,
            e.name,
            e.proposer.unwrap_or_else(|| proposer.to_string()),
        );
        p.verification = e.verification;
        p.comment = e.comment;
        p.expires_ns = expires_ns;
        exceptions.push(p);
    }
    // Provenance of the previous version carries over for exceptions still there.
    if let Some(prev) = previous {
        for p in &prev.exceptions {
            let key = (p.rule.clone(), p.name.clone());
            if named.contains(&key)
                && !exceptions
                    .iter()
                    .any(|x| x.rule == p.rule && x.name == p.name)
            {
                exceptions.push(p.clone());
            }
        }
    }
    let expiring: Vec<(String, String)> = exceptions
        .iter()
        .filter(|p| p.expires_ns.is_some())
        .map(|p| (p.rule.clone(), p.name.clone()))
        .collect();
    for e in check_expiring(&files, &expiring) {
        problems.push(Problem {
            code: "QUELL_EXPIRY_NOT_REMOVABLE".into(),
            severity: "error",
            message: e.message,
            file: Some(e.file),
            line: (e.line > 0).then_some(e.line),
            column: (e.column > 0).then_some(e.column),
            item_type: Some("exception".into()),
            item_name: None,
        });
    }
    Checked {
        files,
        exceptions,
        problems,
    }
}

async fn read_save_body(
    state: &Shared,
    headers: &HeaderMap,
    body: Body,
) -> Result<SaveBody, ApiError> {
    read_json(
        headers,
        body,
        state.config.max_body_bytes,
        state.config.body_timeout,
        "rule set",
    )
    .await
}

async fn check_off_thread(
    base: Vec<RuleFile>,
    body: SaveBody,
    proposer: String,
    previous: Option<RuleSet>,
) -> Result<Checked, ApiError> {
    tokio::task::spawn_blocking(move || check(base, body, &proposer, previous.as_ref()))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("checking the rules failed: {e}"),
            )
        })
}

/// `POST /api/v1/rulesets/validate`: local files (and exceptions) checked with the active
/// base files; nothing saved.
pub(crate) async fn post_validate(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<Json>, ApiError> {
    let body = read_save_body(&state, &headers, body).await?;
    let (base, active) = current_base(&state).await?;
    let checked = check_off_thread(base, body, caller.name, active.map(|a| a.set.clone())).await?;
    Ok(axum::Json(checked.answer()))
}

/// 422 with the diagnostics: invalid rules, nothing saved.
fn refused(checked: &Checked) -> Response {
    let mut v = checked.answer();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "error".into(),
            Json::String(format!(
                "the rules have {} error(s): nothing saved",
                checked.errors()
            )),
        );
    }
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(v)).into_response()
}

/// Saves a checked version and announces it.
async fn save(
    state: &Shared,
    author: &str,
    comment: String,
    checked: Checked,
) -> Result<Response, ApiError> {
    let answer = checked.answer();
    let mut new = NewRuleSet::new(author, comment, checked.files);
    new.exceptions = checked.exceptions;
    let summary = state.store.save_ruleset(new).await?;
    state.rules.active(&state.store, true).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"saved": summary, "diagnostics": answer["diagnostics"]})),
    )
        .into_response())
}

/// `POST /api/v1/rulesets` (admin): a new version of the local files.
pub(crate) async fn post_ruleset(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_save_body(&state, &headers, body).await?;
    let comment = body.comment.trim().to_string();
    if comment.is_empty() {
        return Err(ApiError::bad_request(
            "`comment` is required: say why this version is saved",
        ));
    }
    let (base, active) = current_base(&state).await?;
    let checked = check_off_thread(
        base,
        body,
        caller.name.clone(),
        active.map(|a| a.set.clone()),
    )
    .await?;
    if checked.errors() > 0 {
        return Ok(refused(&checked));
    }
    save(&state, &caller.name, comment, checked).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RollbackBody {
    #[serde(default)]
    comment: String,
}

/// `POST /api/v1/rulesets/{version}/rollback` (admin): a new version with version N's local
/// files and exceptions (the base files stay the active version's: they are `quell serve
/// -r`'s, read-only here). History is never rewritten.
pub(crate) async fn post_rollback(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let version = version_param(&version)?;
    let bytes = read_body(
        &headers,
        body,
        crate::app::MAX_SMALL_BODY_BYTES,
        state.config.body_timeout,
    )
    .await?;
    let rb: RollbackBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        RollbackBody::default()
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("invalid rollback: {e}")))?
    };
    let target = stored(&state, version).await?;
    let (base, _active) = current_base(&state).await?;
    let body = SaveBody {
        comment: String::new(),
        files: target
            .files
            .iter()
            .filter(|f| !is_base(&f.name))
            .map(|f| FileBody {
                name: f.name.clone(),
                contents: f.contents.clone(),
            })
            .collect(),
        exceptions: Vec::new(),
    };
    // The target's provenance is carried over whole (expired exceptions included: they
    // stay expired).
    let mut checked = check_off_thread(base, body, caller.name.clone(), None).await?;
    checked.exceptions = target.exceptions.clone();
    if checked.errors() > 0 {
        return Ok(refused(&checked));
    }
    let mut comment = format!("rollback to version {version}");
    if !rb.comment.trim().is_empty() {
        comment.push_str(": ");
        comment.push_str(rb.comment.trim());
    }
    save(&state, &caller.name, comment, checked).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportParams {
    form: Option<String>,
}

/// `GET /api/v1/rulesets/{version}/export?form=local|rulesd`: the version's local files as
/// in effect now (expired exceptions removed), as one YAML file for a real Falco: a
/// `falco_rules.local.yaml`, or a file for its `rules.d` directory (same rules; Falco
/// loads `rules.d` after `falco_rules.local.yaml`). Several local files become several
/// YAML documents of one file, in load order.
pub(crate) async fn get_export(
    State(state): State<Shared>,
    Path(version): Path<String>,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params?;
    let version = version_param(&version)?;
    let (file_name, place) = match p.form.as_deref().unwrap_or("local") {
        "local" => (
            "falco_rules.local.yaml".to_string(),
            "/etc/falco/falco_rules.local.yaml",
        ),
        "rulesd" => (
            format!("quell-ruleset-v{version}.yaml"),
            "/etc/falco/rules.d/",
        ),
        _ => return Err(ApiError::bad_request("`form` is `local` or `rulesd`")),
    };
    let rs = stored(&state, version).await?;
    let effect = in_effect(&rs, now_ns());
    let local: Vec<&EffectiveFile> = effect.files.iter().filter(|f| f.kind == "local").collect();
    let mut out = format!(
        "# quell rule-set version {version}: local rules, exceptions past their expiry removed.\n# Put it in {place} (after Falco's own rules files).\n"
    );
    let mut expected: Vec<Option<Node>> = Vec::new();
    for (i, f) in local.iter().enumerate() {
        let docs = quell_rules::yaml::parse_all(&f.name, &f.contents).map_err(|d| {
            ApiError::new(
                StatusCode::CONFLICT,
                format!("local file {} does not parse: {}", f.name, d.message),
            )
        })?;
        expected.extend(docs);
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&format!("# from {} \n", f.name));
        out.push_str(&f.contents);
        if !f.contents.ends_with('\n') && !f.contents.is_empty() {
            out.push('\n');
        }
    }
    // The joined text must read back as the files' documents, in order.
    let joined = quell_rules::yaml::parse_all(&file_name, &out).map_err(|d| {
        ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "the local files cannot be joined into one file: {}",
                d.message
            ),
        )
    })?;
    let empty = |d: &Option<Node>| {
        d.as_ref()
            .is_none_or(|n| n.as_seq().is_some_and(<[Node]>::is_empty))
    };
    let a: Vec<&Option<Node>> = joined.iter().filter(|d| !empty(d)).collect();
    let b: Vec<&Option<Node>> = expected.iter().filter(|d| !empty(d)).collect();
    let same_docs = a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => crate::rules::same(x, y),
            _ => false,
        });
    if !same_docs {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "the local files cannot be joined into one file (a file with YAML directives or document markers): export them one by one from GET /api/v1/rulesets/{version}",
        ));
    }
    Ok((
        [
            (CONTENT_TYPE, "application/yaml; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        out,
    )
        .into_response())
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
