//! Tuning from the store: `POST /api/v1/tune` (alerts or clusters judged benign →
//! quell-triage's verified exception, as `quell tune` proves it) and `POST
//! /api/v1/tune/check` (an exception written elsewhere → problems and a corrected block,
//! as `quell tune --check`). quell-triage does the work; this module gathers its inputs
//! from the store: the benign alerts, the history (the newest [`HISTORY_LIMIT`] stored
//! alerts of the rule, people's decisions as `quell.decision`), quell's bundled
//! true-positive catalogue as the keep set, and the active rule set's files in effect.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use quell_store::{AlertQuery, StoredAlert};
use quell_triage::input::Record;
use quell_triage::synth::{emit_verified_as, synthesize, Options};
use quell_triage::verify::{RulesFile, Verifier};
use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::app::{read_json, ApiError, Shared, MAX_SMALL_BODY_BYTES};
use crate::rules::{base_files, load_order};

/// The history read for a tune: the newest this many stored alerts of the rule.
pub const HISTORY_LIMIT: usize = 5000;

/// The most benign alerts a tune reads (alerts given, or the newest of the clusters given).
pub const MAX_BENIGN: usize = 1000;

/// The limit of a tune check's body (an exception block), in bytes.
const MAX_CHECK_BYTES: usize = 1 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TuneBody {
    #[serde(default)]
    alert_ids: Vec<i64>,
    #[serde(default)]
    cluster_ids: Vec<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckBody {
    /// The exception block (YAML).
    pub(crate) yaml: String,
    /// Its file name in the answers (default `exception.yaml`).
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) alert_ids: Vec<i64>,
    #[serde(default)]
    pub(crate) cluster_ids: Vec<i64>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// The active rule set's files in effect (else `quell serve -r`'s), in load order.
pub(crate) async fn rules_files(state: &Shared) -> Result<Vec<RulesFile>, ApiError> {
    Ok(match state.rules.active(&state.store, false).await? {
        Some(a) => a
            .effect
            .files
            .iter()
            .map(|f| RulesFile {
                name: f.name.clone(),
                text: f.contents.clone(),
            })
            .collect(),
        None => load_order(&base_files(&state.config.base_rules))
            .into_iter()
            .map(|f| RulesFile {
                name: f.name.clone(),
                text: f.contents.clone(),
            })
            .collect(),
    })
}

/// The alerts judged benign: the alerts given and the newest alerts of the clusters given.
async fn benign_alerts(
    state: &Shared,
    alert_ids: &[i64],
    cluster_ids: &[i64],
) -> Result<Vec<StoredAlert>, ApiError> {
    if alert_ids.is_empty() && cluster_ids.is_empty() {
        return Err(ApiError::bad_request(
            "give the alerts judged benign: `alert_ids` or `cluster_ids`",
        ));
    }
    if alert_ids.len() > MAX_BENIGN || cluster_ids.len() > MAX_BENIGN {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_BENIGN} alerts or clusters"
        )));
    }
    let mut out = Vec::new();
    for &id in alert_ids {
        let a = state
            .store
            .alert(id)
            .await?
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no alert {id}")))?;
        out.push(a);
    }
    for &id in cluster_ids {
        if state.store.cluster(id).await?.is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no cluster {id}"),
            ));
        }
        let mut q = AlertQuery::default();
        q.cluster_id = Some(id);
        q.limit = Some(MAX_BENIGN);
        q.with_context = true;
        out.extend(state.store.alerts(q).await?.alerts);
    }
    out.truncate(MAX_BENIGN);
    Ok(out)
}

/// An alert's JSON without any `quell.decision` (top level and `output_fields`).
fn without_decision(mut v: Json) -> Json {
    if let Some(o) = v.as_object_mut() {
        o.remove("quell.decision");
        if let Some(f) = o.get_mut("output_fields").and_then(Json::as_object_mut) {
            f.remove("quell.decision");
        }
    }
    v
}

/// Parses a stored alert as a triage record, a decision its sender wrote ignored.
fn record(raw: &str, line: usize, what: &str) -> Option<Record> {
    let mut r = quell_triage::input::parse_line(raw, line, what).ok()?;
    r.decision = None;
    Some(r)
}

/// What the history holds.
pub(crate) struct HistoryRead {
    pub(crate) records: Vec<Record>,
    pub(crate) alerts_read: usize,
    pub(crate) decided: usize,
    pub(crate) truncated: bool,
}

/// The newest [`HISTORY_LIMIT`] stored alerts of `rule`, each with people's decision
/// (from [`quell_store::Store::decisions_as_history`]) as `quell.decision`. The alerts are
/// read page by page; each page is parsed off the async workers while the next is read.
pub(crate) async fn history(state: &Shared, rule: &str) -> Result<HistoryRead, ApiError> {
    let decided = std::sync::Arc::new(decided_by_time(state.store.decisions_as_history().await?));
    let mut parts = Vec::new();
    let mut alerts_read = 0;
    let mut cursor: Option<String> = None;
    let mut truncated = false;
    loop {
        let mut q = AlertQuery::default();
        q.rule = Some(rule.to_string());
        q.limit = Some(1000.min(HISTORY_LIMIT.saturating_sub(alerts_read)));
        q.cursor = cursor.take();
        q.with_context = true;
        let page = state.store.alerts(q).await?;
        let first = alerts_read;
        alerts_read += page.alerts.len();
        let decided = std::sync::Arc::clone(&decided);
        let alerts = page.alerts;
        parts.push(tokio::task::spawn_blocking(move || {
            history_records(&alerts, first, &decided)
        }));
        match page.next_cursor {
            Some(c) if alerts_read < HISTORY_LIMIT => cursor = Some(c),
            Some(_) => {
                truncated = true;
                break;
            }
            None => break,
        }
    }
    let mut records = Vec::new();
    let mut decided_n = 0;
    for p in parts {
        let (r, n) = p.await.map_err(internal)?;
        records.extend(r);
        decided_n += n;
    }
    Ok(HistoryRead {
        records,
        alerts_read,
        decided: decided_n,
        truncated,
    })
}

/// Decided alerts by (rule, time), each as JSON without the decision, with its line.
type Decided = HashMap<(String, String), Vec<(Json, String)>>;

fn decided_by_time(lines: Vec<String>) -> Decided {
    let mut decided: Decided = HashMap::new();
    for line in lines {
        let Ok(v) = serde_json::from_str::<Json>(&line) else {
            continue;
        };
        let key = (
            v["rule"].as_str().unwrap_or("").to_string(),
            v["time"].as_str().unwrap_or("").to_string(),
        );
        decided
            .entry(key)
            .or_default()
            .push((without_decision(v), line));
    }
    decided
}

/// The history's records (alerts numbered from `first + 1` in the order given, each after
/// its context's process starts) and how many carry a person's decision, parsed on every
/// core.
fn history_records(
    alerts: &[StoredAlert],
    first: usize,
    decided: &Decided,
) -> (Vec<Record>, usize) {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8);
    let chunk = alerts.len().div_ceil(threads).max(256);
    let parts: Vec<(Vec<Record>, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = alerts
            .chunks(chunk)
            .enumerate()
            .map(|(k, part)| s.spawn(move || history_part(part, first + k * chunk, decided)))
            .collect();
        handles
            .into_iter()
            // A part that panicked fails the whole read (an internal error), never a
            // shorter history.
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut records = Vec::with_capacity(parts.iter().map(|(r, _)| r.len()).sum());
    let mut with_decision = 0;
    for (r, n) in parts {
        records.extend(r);
        with_decision += n;
    }
    (records, with_decision)
}

/// [`history_records`] of `alerts`, the first of them numbered `first + 1`.
fn history_part(alerts: &[StoredAlert], first: usize, decided: &Decided) -> (Vec<Record>, usize) {
    let mut records = Vec::with_capacity(alerts.len() * 2);
    let mut with_decision = 0;
    for (k, a) in alerts.iter().enumerate() {
        let line = first + k + 1;
        let mut rec = record(&a.raw, line, "history");
        // A person's decision on this alert: the decided line equal to it but for the
        // decision (looked up by rule and time, compared as JSON).
        let decided_line = rec
            .as_ref()
            .and_then(|r| r.raw_alert.as_ref())
            .filter(|_| !decided.is_empty())
            .and_then(|raw| {
                let key = (
                    raw["rule"].as_str().unwrap_or("").to_string(),
                    raw["time"].as_str().unwrap_or("").to_string(),
                );
                let same_time = decided.get(&key)?;
                let stripped = without_decision(raw.clone());
                same_time
                    .iter()
                    .find(|(j, _)| *j == stripped)
                    .map(|(_, l)| l.as_str())
            });
        if let Some(l) = decided_line {
            with_decision += 1;
            rec = quell_triage::input::parse_line(l, line, "history").ok();
        }
        // With its context, and what its session ran before it (the context's process
        // starts), so that triage of the history sees a web shell's download before its
        // `rm` and such an alert blocks a candidate that would silence it.
        if let (Some(r), Some(ctx)) = (rec.as_mut(), &a.context) {
            records.extend(crate::judge::with_context(r, ctx));
        }
        records.extend(rec);
    }
    (records, with_decision)
}

/// The rules an exception block names (`- rule:` items), in order, once each.
pub(crate) fn rules_named(yaml: &str) -> Vec<String> {
    let mut rules_named = Vec::new();
    if let Ok(Some(doc)) = quell_rules::yaml::parse("exception.yaml", yaml) {
        for item in doc.as_seq().unwrap_or_default() {
            if let Some(r) = item
                .get("rule")
                .and_then(quell_rules::yaml::Node::as_scalar)
            {
                if !rules_named.iter().any(|x: &String| x == r) {
                    rules_named.push(r.to_string());
                }
            }
        }
    }
    rules_named
}

fn history_json(h: &HistoryRead, rule: &str) -> Json {
    json!({
        "rule": rule,
        "alerts_read": h.alerts_read,
        "decided": h.decided,
        "limit": HISTORY_LIMIT,
        "truncated": h.truncated,
        "note": format!("the history is the newest {HISTORY_LIMIT} stored alerts of the rule at most, with people's decisions"),
    })
}

fn keep_set() -> Result<Vec<Record>, ApiError> {
    quell_triage::keep::true_positives().map_err(|e| {
        internal(format!(
            "quell's bundled true-positive catalogue does not parse: {e}"
        ))
    })
}

/// `POST /api/v1/tune` (admin).
pub(crate) async fn post_tune(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<Json>), ApiError> {
    let b: TuneBody = read_json(
        &headers,
        body,
        MAX_SMALL_BODY_BYTES,
        state.config.body_timeout,
        "tune request",
    )
    .await?;
    let answer = tune(&state, b.alert_ids, b.cluster_ids).await?;
    Ok((answer.0, axum::Json(answer.1)))
}

/// quell-triage's verified exception for the stored alerts and clusters judged benign (the
/// answer of `POST /api/v1/tune` and of the MCP tool `propose_exception`).
pub(crate) async fn tune(
    state: &Shared,
    alert_ids: Vec<i64>,
    cluster_ids: Vec<i64>,
) -> Result<(StatusCode, Json), ApiError> {
    let b = TuneBody {
        alert_ids,
        cluster_ids,
    };
    quell_triage::signals::table().map_err(internal)?;
    let alerts = benign_alerts(state, &b.alert_ids, &b.cluster_ids).await?;
    let mut rules_named: Vec<&str> = alerts.iter().map(|a| a.rule.as_str()).collect();
    rules_named.sort_unstable();
    rules_named.dedup();
    let rule = match rules_named.as_slice() {
        [one] => one.to_string(),
        _ => {
            return Err(ApiError::bad_request(format!(
                "the alerts judged benign must be of one rule (they are of {})",
                rules_named.len()
            )))
        }
    };
    let benign = benign_records(&alerts);
    let hist = history(state, &rule).await?;
    let files = rules_files(state).await?;
    let n_alerts = alerts.len();
    let (ids, clusters) = (b.alert_ids.clone(), b.cluster_ids.clone());
    let answer = tokio::task::spawn_blocking(move || -> Result<(StatusCode, Json), ApiError> {
        let keep = keep_set()?;
        let vf = Verifier::new(&files, &rule, &benign, &keep, &hist.records)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let provenance = vec![
            format!(
                "benign: {n_alerts} stored alert(s) judged benign (alerts {ids:?}, clusters {clusters:?})"
            ),
            format!("keep: quell's true-positive catalogue ({} recorded attack events)", keep.len()),
            format!(
                "history: the newest {} stored alert(s) of the rule ({} with a person's decision{})",
                hist.alerts_read,
                hist.decided,
                if hist.truncated { "; older ones not read" } else { "" }
            ),
            format!(
                "rules: {}; generated by quell serve {}",
                files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "),
                env!("CARGO_PKG_VERSION")
            ),
        ];
        let opts = Options {
            legacy: false,
            provenance,
            max_alternatives: 5,
        };
        let proposal = match synthesize(&vf, &opts) {
            Ok(p) => p,
            Err(e) => {
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"error": e.to_string(), "history": history_json(&hist, &rule)}),
                ))
            }
        };
        let best = &proposal.best;
        let legacy_opts = Options {
            legacy: true,
            ..opts
        };
        let (legacy_yaml, legacy_verification) =
            emit_verified_as(&vf, &best.exceptions, &legacy_opts, &best.verification);
        let examples: Vec<Json> = best
            .verification
            .blast_radius
            .clusters
            .iter()
            .map(|c| json!({"cluster": c.cluster, "count": c.count, "in_benign_set": c.in_benign_set, "examples": c.examples}))
            .collect();
        let alternatives: Vec<Json> = proposal
            .alternatives
            .iter()
            .map(|c| json!({
                "template": c.template, "generality": c.generality,
                "names": c.exceptions.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
                "yaml": c.yaml, "verification": c.verification,
            }))
            .collect();
        Ok((
            StatusCode::OK,
            json!({
                "rule": proposal.rule,
                "template": best.template,
                "generality": best.generality,
                "names": best.exceptions.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
                "yaml": best.yaml,
                "legacy": {"yaml": legacy_yaml, "verification": legacy_verification},
                "verification": best.verification,
                "silences": examples,
                "alternatives": alternatives,
                "benign": {"alerts": n_alerts, "records": benign.len()},
                "history": history_json(&hist, &proposal.rule),
            }),
        ))
    })
    .await
    .map_err(internal)??;
    Ok(answer)
}

/// `POST /api/v1/tune/check` (admin, viewer).
pub(crate) async fn post_check(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<Json>, ApiError> {
    let b: CheckBody = read_json(
        &headers,
        body,
        MAX_CHECK_BYTES,
        state.config.body_timeout,
        "check request",
    )
    .await?;
    Ok(axum::Json(check(&state, b).await?))
}

/// The alerts a person judged benign as records, each with its event context (the same
/// form as the history's records, so that verification knows them there). The benign set
/// holds the alerts only: their sessions' starts are context for triage, not events a
/// person judged benign.
fn benign_records(alerts: &[StoredAlert]) -> Vec<Record> {
    alerts
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let mut r = record(&a.raw, i + 1, "benign")?;
            if let Some(ctx) = &a.context {
                quell_store::behaviour::add_context(&mut r.event, ctx);
            }
            Some(r)
        })
        .collect()
}

/// quell-triage's check of an exception written elsewhere, the history read from the store
/// (the answer of `POST /api/v1/tune/check` and of the MCP tool `check_exception`).
pub(crate) async fn check(state: &Shared, b: CheckBody) -> Result<Json, ApiError> {
    quell_triage::signals::table().map_err(internal)?;
    let alerts = if b.alert_ids.is_empty() && b.cluster_ids.is_empty() {
        Vec::new()
    } else {
        benign_alerts(state, &b.alert_ids, &b.cluster_ids).await?
    };
    // With their contexts, as tune reads them and as the history holds them: the same
    // alert in the history is then recognised as one of the benign set.
    let benign = benign_records(&alerts);
    // The history of the rules the block names: read per rule named in the block.
    let rules_named = rules_named(&b.yaml);
    let mut records = Vec::new();
    let mut read = Vec::new();
    for r in rules_named.iter().take(20) {
        let h = history(state, r).await?;
        read.push(history_json(&h, r));
        records.extend(h.records);
    }
    let files = rules_files(state).await?;
    let name = b.name.unwrap_or_else(|| "exception.yaml".to_string());
    let report = tokio::task::spawn_blocking(move || -> Result<Json, ApiError> {
        let keep = keep_set()?;
        let report = quell_triage::check::check_named(&files, &name, &b.yaml, &benign, &keep, &records)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(json!({"ok": report.ok, "problems": report.problems, "rules": report.rules, "history": read}))
    })
    .await
    .map_err(internal)??;
    Ok(report)
}
