//! The console's data (issue 14): the inbox of behaviour clusters with quell-triage's verdict
//! and an hourly trend, an alert's process lineage, and what its session did around it.
//!
//! - `GET /api/v1/inbox`: the store's inbox ([`quell_store::Store::inbox`]: clusters by their
//!   latest alert, newest first, with their trend counts kept at ingest) and each cluster's
//!   verdict: quell-triage's judgment of its latest alert with its event context, the
//!   store's decisions as history and the active rule set ([`crate::judge::judge_with`]).
//!   Verdicts are cached in memory, keyed by the cluster, its latest alert (id and time),
//!   the decisions' mark ([`quell_store::Store::decisions_mark`]: any decision can move any
//!   verdict, through history), the active rule-set revision and the language; the history
//!   itself is built once per mark and revision. The `verdict` filter needs the verdict of
//!   clusters beyond the page: a request judges at most [`VERDICT_SCAN`] clusters (by default), then
//!   answers a partial page whose cursor continues the search (as alert pages do).
//! - [`lineage`]: the process and its ancestors from the alert's fields and its context.
//! - `GET /api/v1/alerts/{id}/timeline`: the stored alerts of the same host, container and
//!   session (quell-triage's session key: host, container, `proc.sid`; else the alerts
//!   sharing the process's ancestors) within the window, and the process starts their
//!   contexts carry, each classified by quell-triage's `evidence::activity`.
//!
//! Every string (command lines, file names, rule names) goes out as JSON data, byte for byte
//! as stored; nothing here renders markup.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::{HeaderMap, StatusCode};
use quell_events::FlatEvent;
use quell_rules::engine::Engine;
use quell_store::{AlertQuery, InboxCluster, InboxQuery, StoredAlert};
use quell_triage::evidence::Activity;
use quell_triage::history::History;
use quell_triage::input::{int, text};
use quell_triage::Lang;
use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::app::{ApiError, Shared};

/// Clusters one inbox request judges at most when filtering by verdict, by default
/// ([`crate::Config::inbox_verdict_scan`]); past it the page is partial and its cursor
/// continues the search.
pub const VERDICT_SCAN: usize = 400;

/// Store pages one inbox request filtering by verdict reads at most (each bounded by the
/// store's scan budget); past them the page is partial.
const MAX_STORE_PAGES: usize = 4;

/// Verdicts kept in memory at most (the cache is emptied when it would grow past).
const MAX_CACHED: usize = 100_000;

/// What a cached verdict is valid for: the cluster, its latest alert (id, time), the
/// decisions' mark, the rule-set revision (`None`: `quell serve -r`'s rules) and the
/// language.
type VerdictKey = (i64, i64, u64, i64, Option<(i64, usize)>, u8);

/// The verdicts of the inbox, and the history they were judged against.
#[derive(Default)]
pub(crate) struct Verdicts {
    cache: Mutex<HashMap<VerdictKey, Arc<Json>>>,
    history: Mutex<Option<HistoryAt>>,
}

struct HistoryAt {
    mark: i64,
    revision: Option<(i64, usize)>,
    history: Arc<History>,
}

impl std::fmt::Debug for Verdicts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verdicts").finish_non_exhaustive()
    }
}

/// The rules triage uses now (the active version's, else `quell serve -r`'s) and their
/// revision.
async fn engine(state: &Shared) -> Result<(Arc<Engine>, Option<(i64, usize)>), ApiError> {
    Ok(match state.rules.active(&state.store, false).await? {
        Some(active) => (active.engine.clone(), Some(active.revision())),
        None => (state.config.rules.clone(), None),
    })
}

/// The history of decisions for `engine`, built once per mark and revision.
async fn history(
    state: &Shared,
    engine: &Arc<Engine>,
    mark: i64,
    revision: Option<(i64, usize)>,
) -> Result<Arc<History>, ApiError> {
    if let Some(h) = lock(&state.verdicts.history).as_ref() {
        if h.mark == mark && h.revision == revision {
            return Ok(h.history.clone());
        }
    }
    let lines = state.store.decisions_as_history().await?;
    let e = engine.clone();
    let built = Arc::new(blocking(move || crate::judge::history_of(&e, &lines)).await?);
    *lock(&state.verdicts.history) = Some(HistoryAt {
        mark,
        revision,
        history: built.clone(),
    });
    Ok(built)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("triage failed: {e}"),
        )
    })
}

/// What judging needs, fixed for one request.
struct Judging {
    engine: Arc<Engine>,
    revision: Option<(i64, usize)>,
    mark: i64,
    history: Arc<History>,
    lang: Lang,
}

impl Judging {
    async fn now(state: &Shared, lang: Lang) -> Result<Judging, ApiError> {
        let (engine, revision) = engine(state).await?;
        let mark = state.store.decisions_mark().await?;
        let history = history(state, &engine, mark, revision).await?;
        Ok(Judging {
            engine,
            revision,
            mark,
            history,
            lang,
        })
    }

    fn key(&self, k: &InboxCluster) -> VerdictKey {
        (
            k.cluster.id,
            k.latest_alert_id,
            k.cluster.last_seen_ns,
            self.mark,
            self.revision,
            match self.lang {
                Lang::En => 0,
                Lang::Ja => 1,
            },
        )
    }
}

/// What triage judges with now, for the assistant: the rules and the decisions as
/// history (built once per state of the decisions and rules, as the inbox's verdicts use
/// them), with the decisions' mark and the rule-set revision they are valid for.
pub(crate) struct JudgingNow {
    pub(crate) engine: Arc<Engine>,
    pub(crate) history: Arc<History>,
    pub(crate) mark: i64,
    pub(crate) revision: Option<(i64, usize)>,
}

/// [`JudgingNow`] of the store's state.
pub(crate) async fn judging_now(state: &Shared) -> Result<JudgingNow, ApiError> {
    let j = Judging::now(state, Lang::En).await?;
    Ok(JudgingNow {
        engine: j.engine,
        history: j.history,
        mark: j.mark,
        revision: j.revision,
    })
}

/// One alert's triage (with its context, the decisions as history built once per state of
/// the decisions and rules) and its lineage, for `GET /api/v1/alerts/{id}`.
pub(crate) async fn triage_one(
    state: &Shared,
    a: &StoredAlert,
    lang: Lang,
) -> Result<(Option<Json>, Vec<Json>), ApiError> {
    let j = Judging::now(state, lang).await?;
    let (raw, ctx) = (a.raw.clone(), a.context.clone());
    let catalogue = state.catalogue.clone();
    blocking(move || {
        let triage = crate::judge::judge_with(
            &j.engine,
            &catalogue,
            &raw,
            ctx.as_ref(),
            &j.history,
            j.lang,
        );
        (triage, lineage(&raw, ctx.as_ref()))
    })
    .await
}

/// The verdict of each cluster (`Json::Null` when its latest alert is gone), from the cache
/// or judged now (off the async workers, all of a page in one task).
async fn verdicts(
    state: &Shared,
    j: &Judging,
    clusters: &[InboxCluster],
) -> Result<Vec<Arc<Json>>, ApiError> {
    let mut out: Vec<Option<Arc<Json>>> = {
        let cache = lock(&state.verdicts.cache);
        clusters
            .iter()
            .map(|k| cache.get(&j.key(k)).cloned())
            .collect()
    };
    let todo: Vec<(usize, String, Option<Json>)> = clusters
        .iter()
        .enumerate()
        .filter(|(i, _)| out[*i].is_none())
        .filter_map(|(i, k)| {
            let a = k.latest.as_ref()?;
            Some((i, a.raw.clone(), a.context.clone()))
        })
        .collect();
    if !todo.is_empty() {
        let (engine, history, lang) = (j.engine.clone(), j.history.clone(), j.lang);
        let catalogue = state.catalogue.clone();
        let judged = blocking(move || {
            todo.into_iter()
                .map(|(i, raw, ctx)| {
                    let v = crate::judge::judge_with(
                        &engine,
                        &catalogue,
                        &raw,
                        ctx.as_ref(),
                        &history,
                        lang,
                    );
                    (i, v.unwrap_or(Json::Null))
                })
                .collect::<Vec<_>>()
        })
        .await?;
        let mut cache = lock(&state.verdicts.cache);
        if cache.len() + judged.len() > MAX_CACHED {
            cache.clear();
        }
        for (i, v) in judged {
            let v = Arc::new(v);
            cache.insert(j.key(&clusters[i]), v.clone());
            out[i] = Some(v);
        }
    }
    Ok(out
        .into_iter()
        .map(|v| v.unwrap_or_else(|| Arc::new(Json::Null)))
        .collect())
}

/// The inbox's parameters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InboxParams {
    rule: Option<String>,
    priority: Option<String>,
    host: Option<String>,
    image: Option<String>,
    namespace: Option<String>,
    since: Option<String>,
    until: Option<String>,
    verdict: Option<String>,
    decision: Option<String>,
    q: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
    lang: Option<String>,
}

/// One cluster as the inbox answers it.
fn cluster_view(k: &InboxCluster, verdict: &Json) -> Json {
    let c = &k.cluster;
    json!({
        "id": c.id,
        "rule": c.rule,
        "priority": k.priority,
        "hostname": c.hostname,
        "image": c.container_image,
        "namespace": k.namespace,
        "signature": c.signature,
        "count": c.count,
        "first_ns": c.first_seen_ns,
        "last_ns": c.last_seen_ns,
        "verdict": verdict.get("verdict"),
        "verdict_text": verdict.get("verdict_text"),
        "score": verdict.get("score"),
        "summary": verdict.get("summary"),
        "decision": c.decision.as_ref().map(|d| json!({
            "decision": d.verdict.as_str(),
            "actor": d.actor,
            "at_ns": d.at_ns,
            "reason": d.reason,
        })),
        "trend": {
            "start_ns": k.trend_start_ns,
            "bucket_ns": quell_store::TREND_BUCKET_NS,
            "counts": k.trend,
        },
        "latest_alert_id": k.latest_alert_id,
    })
}

/// `GET /api/v1/inbox`.
pub(crate) async fn get_inbox(
    State(state): State<Shared>,
    headers: HeaderMap,
    params: Result<Query<InboxParams>, QueryRejection>,
) -> Result<axum::Json<Json>, ApiError> {
    let Query(p) = params?;
    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = crate::judge::language(p.lang.as_deref(), accept).map_err(ApiError::bad_request)?;
    if let Some(v) = &p.verdict {
        if !matches!(
            v.as_str(),
            "likely_false_positive" | "uncertain" | "likely_real"
        ) {
            return Err(ApiError::bad_request(
                "`verdict` is likely_false_positive, uncertain or likely_real",
            ));
        }
    }
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let mut q = InboxQuery::default();
    q.rule = p.rule;
    q.priority = p.priority;
    q.host = p.host;
    q.image = p.image;
    q.namespace = p.namespace;
    q.since_ns = crate::app::time_param("since", p.since.as_deref())?;
    q.until_ns = crate::app::time_param("until", p.until.as_deref())?;
    q.decision = p.decision;
    q.text = p.q;
    q.cursor = p.cursor;
    let judging = Judging::now(&state, lang).await?;
    let mut clusters = Vec::new();
    let (next_cursor, partial) = match &p.verdict {
        None => {
            q.limit = Some(limit);
            let page = state.store.inbox(q).await?;
            let vs = verdicts(&state, &judging, &page.clusters).await?;
            clusters.extend(
                page.clusters
                    .iter()
                    .zip(&vs)
                    .map(|(k, v)| cluster_view(k, v)),
            );
            (page.next_cursor, page.partial)
        }
        Some(want) => {
            // Judge clusters page by page until the page is full or VERDICT_SCAN are judged.
            q.limit = Some(200);
            let scan = state.config.inbox_verdict_scan.max(1);
            let mut judged = 0usize;
            let mut pages = 0usize;
            loop {
                pages += 1;
                let page = state.store.inbox(q.clone()).await?;
                let vs = verdicts(&state, &judging, &page.clusters).await?;
                let n = page.clusters.len();
                let mut stop: Option<(Option<String>, bool)> = None;
                for (i, (k, v)) in page.clusters.iter().zip(&vs).enumerate() {
                    judged += 1;
                    if v.get("verdict").and_then(Json::as_str) == Some(want.as_str()) {
                        clusters.push(cluster_view(k, v));
                    }
                    let last_of_all = i + 1 == n && page.next_cursor.is_none();
                    if clusters.len() == limit || judged >= scan {
                        stop = Some(if last_of_all {
                            (None, false)
                        } else {
                            (Some(k.cursor()), clusters.len() < limit)
                        });
                        break;
                    }
                }
                if let Some(s) = stop {
                    break s;
                }
                match page.next_cursor {
                    // Store pages are bounded by its scan budget; their number per request
                    // too, when other filters match few clusters.
                    Some(c) if pages >= MAX_STORE_PAGES => break (Some(c), true),
                    Some(c) => q.cursor = Some(c),
                    None => break (None, false),
                }
            }
        }
    };
    Ok(axum::Json(json!({
        "clusters": clusters,
        "next_cursor": next_cursor,
        "partial": partial,
    })))
}

/// An event's text field, as stored (`None` when absent or empty).
fn field(ev: &FlatEvent, key: &str) -> Option<String> {
    text(ev, key)
}

/// The process tree of an alert as a list from its process up to its oldest known ancestor:
/// `{pid, name, exe, cmdline, user, tty}` (`null` where unknown; user and terminal are known
/// for the process itself), from the alert's fields and its event context.
pub fn lineage(raw: &str, context: Option<&Json>) -> Vec<Json> {
    let Some((ev, _)) = quell_store::behaviour::alert_event(raw, context) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let first = |keys: &[String]| keys.iter().find_map(|k| field(&ev, k));
    let first_int = |keys: &[String]| keys.iter().find_map(|k| int(&ev, k));
    for level in 0..=64usize {
        let (pid, name, exe, cmdline) = if level == 0 {
            (
                first_int(&["proc.pid".into(), "proc.apid[0]".into()]),
                first(&["proc.name".into(), "proc.aname[0]".into()]),
                first(&["proc.exepath".into(), "proc.aexepath[0]".into()]),
                first(&["proc.cmdline".into(), "proc.acmdline[0]".into()]),
            )
        } else {
            let at = |f: &str| format!("{f}[{level}]");
            let parent = |p: &str| {
                if level == 1 {
                    p.to_string()
                } else {
                    String::new()
                }
            };
            (
                first_int(&[at("proc.apid"), parent("proc.ppid")]),
                first(&[at("proc.aname"), parent("proc.pname")]),
                first(&[at("proc.aexepath"), parent("proc.pexepath")]),
                first(&[at("proc.acmdline"), parent("proc.pcmdline")]),
            )
        };
        if pid.is_none() && name.is_none() && exe.is_none() && cmdline.is_none() {
            break;
        }
        let (user, tty) = if level == 0 {
            (field(&ev, "user.name"), int(&ev, "proc.tty"))
        } else {
            (None, None)
        };
        out.push(json!({
            "pid": pid, "name": name, "exe": exe, "cmdline": cmdline, "user": user, "tty": tty,
        }));
    }
    out
}

/// The timeline's parameters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimelineParams {
    window: Option<u64>,
}

/// The longest timeline window, seconds (a day).
const MAX_WINDOW_S: u64 = 86_400;

/// Alerts of the host and container read at most for one timeline.
const TIMELINE_ALERTS: usize = 5_000;

/// How an alert belongs to a session: quell-triage's session key when the alert (or its
/// context) has a session id, else the pids of its ancestors (`lineage`).
enum Session {
    Key(String),
    Ancestors(BTreeSet<i64>),
    Alone,
}

/// The triage record of a stored alert with its context.
fn record(a: &StoredAlert) -> Option<quell_triage::input::Record> {
    let mut r = quell_triage::input::parse_line(&a.raw, 1, "alert").ok()?;
    if let Some(ctx) = &a.context {
        quell_store::behaviour::add_context(&mut r.event, ctx);
    }
    Some(r)
}

/// The pids of an alert's process (level 0) and ancestors (levels 1..), above init.
fn pids(ev: &FlatEvent, from: usize) -> BTreeSet<i64> {
    (from..=64)
        .filter_map(|level| match level {
            0 => int(ev, "proc.pid").or_else(|| int(ev, "proc.apid[0]")),
            1 => int(ev, "proc.apid[1]").or_else(|| int(ev, "proc.ppid")),
            l => int(ev, &format!("proc.apid[{l}]")),
        })
        .filter(|p| *p > 1)
        .collect()
}

fn session_of(r: &quell_triage::input::Record) -> Session {
    if let Some(k) = quell_triage::session::key(r) {
        return Session::Key(k);
    }
    let above = pids(&r.event, 1);
    if above.is_empty() {
        Session::Alone
    } else {
        Session::Ancestors(above)
    }
}

/// The kind of a process start, by quell-triage's reading of it as an activity.
fn start_kind(exepath: Option<&str>, cmdline: Option<&str>, user: Option<&str>) -> &'static str {
    let mut ev = FlatEvent::new();
    ev.set_static("evt.type", quell_rules::Value::Str("execve".into()));
    if let Some(e) = exepath {
        ev.set_static(
            "proc.exepath",
            quell_rules::Value::Str(e.to_string().into()),
        );
        let name = e.rsplit('/').next().unwrap_or(e);
        ev.set_static(
            "proc.name",
            quell_rules::Value::Str(name.to_string().into()),
        );
    }
    if let Some(c) = cmdline {
        ev.set_static(
            "proc.cmdline",
            quell_rules::Value::Str(c.to_string().into()),
        );
    }
    if let Some(u) = user {
        ev.set_static("user.name", quell_rules::Value::Str(u.to_string().into()));
    }
    match quell_triage::evidence::activity(&ev, &|_| false) {
        Some(Activity::Download(..) | Activity::FetchToStdout(..)) => "download",
        Some(Activity::Outbound(..) | Activity::NetworkStdio(..)) => "connect",
        Some(
            Activity::WroteFile(..) | Activity::PersistenceWrite(..) | Activity::CredentialRead(..),
        ) => "file",
        _ => "exec",
    }
}

/// `GET /api/v1/alerts/{id}/timeline?window=SECS`.
pub(crate) async fn get_timeline(
    State(state): State<Shared>,
    Path(id): Path<String>,
    params: Result<Query<TimelineParams>, QueryRejection>,
) -> Result<axum::Json<Json>, ApiError> {
    let Query(p) = params?;
    let window_s = p.window.unwrap_or(600);
    if window_s == 0 || window_s > MAX_WINDOW_S {
        return Err(ApiError::bad_request(format!(
            "`window` is 1 to {MAX_WINDOW_S} seconds"
        )));
    }
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("an alert id is a number"))?;
    let Some(this) = state.store.alert(id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no alert {id}"),
        ));
    };
    let w = window_s * 1_000_000_000;
    let (from, to) = (
        this.time_ns.saturating_sub(w),
        this.time_ns.saturating_add(w),
    );
    // The alerts of the same host and container in the window (bounded).
    let mut q = AlertQuery::default();
    q.host = Some(this.hostname.clone());
    q.container = this.container_id.clone();
    q.since_ns = Some(from);
    q.until_ns = Some(to.saturating_add(1));
    q.with_context = true;
    q.limit = Some(1000);
    let mut near = Vec::new();
    let mut truncated = false;
    loop {
        let page = state.store.alerts(q.clone()).await?;
        near.extend(
            page.alerts
                .into_iter()
                .filter(|a| a.container_id == this.container_id),
        );
        match page.next_cursor {
            Some(c) if near.len() < TIMELINE_ALERTS => q.cursor = Some(c),
            Some(_) => {
                truncated = true;
                break;
            }
            None => break,
        }
    }
    let answer = blocking(move || timeline(&this, near, from, to, truncated)).await?;
    Ok(axum::Json(answer))
}

/// The timeline of `this` among the alerts `near` (same host and container, in the window).
fn timeline(
    this: &StoredAlert,
    near: Vec<StoredAlert>,
    from: u64,
    to: u64,
    truncated: bool,
) -> Json {
    let own = record(this);
    let session = own.as_ref().map_or(Session::Alone, session_of);
    let own_pids = own.as_ref().map(|r| pids(&r.event, 0)).unwrap_or_default();
    let (key, kind) = match &session {
        Session::Key(k) => (k.clone(), "session"),
        Session::Ancestors(a) => (
            format!(
                "{}/{}/ancestors:{}",
                this.hostname,
                this.container_id.as_deref().unwrap_or("host"),
                a.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            ),
            "lineage",
        ),
        Session::Alone => (format!("alert:{}", this.id), "alert"),
    };
    let mut members: Vec<&StoredAlert> = Vec::new();
    for a in &near {
        let same = if a.id == this.id {
            true
        } else {
            match (&session, record(a)) {
                (Session::Key(k), Some(r)) => quell_triage::session::key(&r).as_ref() == Some(k),
                (Session::Ancestors(above), Some(r)) => {
                    // Shares an ancestor with this alert's process, or descends from it.
                    let theirs = pids(&r.event, 0);
                    !theirs.is_disjoint(above) || !pids(&r.event, 1).is_disjoint(&own_pids)
                }
                _ => false,
            }
        };
        if same {
            members.push(a);
        }
    }
    if !members.iter().any(|a| a.id == this.id) {
        members.push(this);
    }
    let mut items: Vec<(u64, u8, Json)> = Vec::new();
    let mut starts_seen: BTreeSet<(u64, Option<i64>, Option<String>)> = BTreeSet::new();
    for a in &members {
        items.push((
            a.time_ns,
            1,
            json!({
                "time_ns": a.time_ns, "kind": "alert", "text": a.output, "alert_id": a.id,
                "rule": a.rule, "this": a.id == this.id,
            }),
        ));
        let starts = a
            .context
            .as_ref()
            .and_then(|c| c.get("session"))
            .and_then(|s| s.get("recent_starts"))
            .and_then(Json::as_array);
        for s in starts.into_iter().flatten() {
            let Some(t) = s.get("time_ns").and_then(Json::as_u64) else {
                continue;
            };
            if t < from || t > to {
                continue;
            }
            let pid = s.get("pid").and_then(Json::as_i64);
            let cmdline = s.get("cmdline").and_then(Json::as_str);
            let exepath = s.get("exepath").and_then(Json::as_str);
            if !starts_seen.insert((t, pid, cmdline.map(str::to_string))) {
                continue;
            }
            let user = s.get("user").and_then(Json::as_str);
            let text = cmdline.or(exepath).unwrap_or_default();
            items.push((
                t,
                0,
                json!({
                    "time_ns": t, "kind": start_kind(exepath, cmdline, user), "text": text,
                    "pid": pid, "this": false,
                }),
            ));
        }
    }
    items.sort_by_key(|a| (a.0, a.1));
    json!({
        "session": {"key": key, "kind": kind},
        "window": {"from_ns": from, "to_ns": to},
        "items": items.into_iter().map(|(_, _, j)| j).collect::<Vec<_>>(),
        "truncated": truncated,
    })
}
