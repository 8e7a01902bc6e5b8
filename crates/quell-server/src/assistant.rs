//! `POST /api/v1/assistant` (admin, viewer): a question in English or Japanese about stored
//! alerts, answered by quell-assist's deterministic assistant ([`quell_assist::Assistant`],
//! the intents and answers of `quell ask`) from what the store gives cheaply
//! ([`quell_assist::Stored`]):
//!
//! - the subject: the alert (`about.alert_id`), the newest [`MAX_SUBJECT`] alerts of a
//!   cluster (`about.cluster_id`), the alerts among the newest [`FILTER_SCAN`] that a
//!   condition matches (`about.filter`, compiled by quell-rules as `quell ask --about`
//!   does), else the newest stored alert; each as [`crate::judge::alert_records`] builds it
//!   (its event context and the session starts it carries);
//! - triage's verdict with the store's decisions as history and the active rules (built once
//!   per state of the decisions and rules, [`crate::console`]);
//! - for an exception (written, checked, or its blast radius): the rule's history as
//!   `POST /api/v1/tune` reads it ([`crate::tune`], the newest
//!   [`crate::tune::HISTORY_LIMIT`] alerts of the rule, with people's decisions);
//! - for "which rules alert most" and "what does rule R detect": the store's counts per
//!   rule ([`quell_store::Store::rule_counts`]).
//!
//! Nothing is applied: a proposed exception is in the answer for a person to save (a viewer
//! gets it too). Stored alert fields are data to quell-assist, never a question.

use axum::body::Body;
use axum::extract::State;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::{HeaderMap, StatusCode};
use quell_assist::{Intent, Question, Stored};
use quell_store::{AlertQuery, StoredAlert};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::app::{read_json, ApiError, Shared};

/// The limit of a question's body (the question, and an exception pasted after it), in bytes.
pub const MAX_ASK_BYTES: usize = 64 << 10;

/// The newest alerts of a cluster a question about the cluster reads.
pub const MAX_SUBJECT: usize = 50;

/// The newest stored alerts a filter (`about.filter`) is matched against.
pub const FILTER_SCAN: usize = 1000;

/// The rules whose stored history an exception is verified against, at most (a pasted
/// block's, then the subject's).
const MAX_HISTORY_RULES: usize = 5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AskBody {
    question: String,
    about: Option<About>,
    lang: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct About {
    alert_id: Option<i64>,
    cluster_id: Option<i64>,
    filter: Option<String>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// The newest alerts matching `q` (at most `n`), oldest first.
async fn newest(state: &Shared, mut q: AlertQuery, n: usize) -> Result<Vec<StoredAlert>, ApiError> {
    q.limit = Some(n);
    q.with_context = true;
    let mut alerts = state.store.alerts(q).await?.alerts;
    alerts.reverse();
    Ok(alerts)
}

/// `POST /api/v1/assistant` (admin, viewer).
pub(crate) async fn post_assistant(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<Json>, ApiError> {
    let b: AskBody = read_json(
        &headers,
        body,
        MAX_ASK_BYTES,
        state.config.body_timeout,
        "question",
    )
    .await?;
    if b.question.trim().is_empty() {
        return Err(ApiError::bad_request("`question` is empty"));
    }
    // `lang` in the body, else Accept-Language, else the question's own language.
    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = match (&b.lang, accept) {
        (None, None) => None,
        (l, a) => Some(crate::judge::language(l.as_deref(), a).map_err(ApiError::bad_request)?),
    };
    quell_triage::signals::table().map_err(internal)?;
    // The subject is named in the answer's language (the question's unless `lang` says).
    let ja = lang
        .unwrap_or_else(|| quell_assist::detect_lang(quell_assist::split_pasted(&b.question).0))
        == quell_triage::Lang::Ja;
    let name = |en: String, jp: String| if ja { jp } else { en };
    let about = b.about.unwrap_or_default();
    let given = [
        about.alert_id.is_some(),
        about.cluster_id.is_some(),
        about.filter.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(ApiError::bad_request(
            "`about` is one of `alert_id`, `cluster_id` and `filter`",
        ));
    }
    // The subject.
    let (alerts, how): (Vec<StoredAlert>, Option<String>) = if let Some(id) = about.alert_id {
        let a = state
            .store
            .alert(id)
            .await?
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no alert {id}")))?;
        let how = name(format!("alert {id}"), format!("アラート {id}"));
        (vec![a], Some(how))
    } else if let Some(id) = about.cluster_id {
        if state.store.cluster(id).await?.is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no cluster {id}"),
            ));
        }
        let mut q = AlertQuery::default();
        q.cluster_id = Some(id);
        let alerts = newest(&state, q, MAX_SUBJECT).await?;
        let how = name(
            format!("cluster {id} (its newest {} alert(s))", alerts.len()),
            format!("クラスタ {id}（最新のアラート {} 件）", alerts.len()),
        );
        (alerts, Some(how))
    } else if let Some(f) = &about.filter {
        // quell ask's selector, compiled as `--about` compiles it, matched against the
        // newest stored alerts (each with its event context).
        let e = quell_assist::compile_selector(f).map_err(|why| {
            ApiError::bad_request(format!("`about.filter` does not compile: {why}"))
        })?;
        let rule = e
            .rule(quell_assist::SELECTOR_RULE)
            .ok_or_else(|| internal("the compiled selector has no rule"))?;
        let mut matched = Vec::new();
        for a in newest(&state, AlertQuery::default(), FILTER_SCAN).await? {
            let hit = crate::judge::alert_records(&a.raw, a.context.as_ref(), 1, "alert")
                .and_then(|rs| rs.last().map(|r| rule.matches(&r.event)))
                .unwrap_or(false);
            if hit {
                matched.push(a);
            }
        }
        if matched.is_empty() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no alert among the newest {FILTER_SCAN} stored matches the filter"),
            ));
        }
        let shown = quell_events::term::escape(f);
        let how = name(
            format!(
                "the {} alert(s) matching `{shown}` (of the newest {FILTER_SCAN})",
                matched.len()
            ),
            format!(
                "`{shown}` に一致するアラート {} 件（最新 {FILTER_SCAN} 件中）",
                matched.len()
            ),
        );
        (matched, Some(how))
    } else {
        let alerts = newest(&state, AlertQuery::default(), 1).await?;
        let how = alerts.first().map(|a| {
            name(
                format!("the newest stored alert ({})", a.id),
                format!("最新の保存済みアラート（{}）", a.id),
            )
        });
        (alerts, how)
    };
    // What the intent needs beyond the subject.
    let (question, pasted) = quell_assist::split_pasted(&b.question);
    let (intent, _) = quell_assist::recognise(question);
    let exception_intent = pasted.is_some()
        || matches!(
            intent,
            Intent::WriteException | Intent::Silence | Intent::CheckException
        );
    // The rules whose history an exception is verified against: those a pasted block
    // names, and the subject's.
    let mut rules: Vec<String> = pasted
        .as_deref()
        .map(crate::tune::rules_named)
        .unwrap_or_default();
    if let Some(a) = alerts.last() {
        if !rules.contains(&a.rule) {
            rules.push(a.rule.clone());
        }
    }
    rules.truncate(MAX_HISTORY_RULES);
    let judging = crate::console::judging_now(&state).await?;
    // An exception's answer (the slow one: the rule's history read and every candidate
    // verified over it) is kept while nothing it rests on changes: the question, the
    // subject, the decisions, the rules, and each history's newest alert and count.
    let key = if exception_intent {
        let counts = state.store.rule_counts().await?;
        let mut fresh = Vec::new();
        for r in &rules {
            let mut q = AlertQuery::default();
            q.rule = Some(r.clone());
            q.limit = Some(1);
            let newest_id = state.store.alerts(q).await?.alerts.first().map(|a| a.id);
            let count = counts.iter().find(|(n, _)| n == r).map_or(0, |(_, c)| *c);
            fresh.push(json!([r, newest_id, count]));
        }
        let ids: Vec<i64> = alerts.iter().map(|a| a.id).collect();
        Some(
            json!([
                b.question,
                how,
                ids,
                lang.map(|l| l == quell_triage::Lang::Ja),
                judging.mark,
                judging.revision,
                fresh
            ])
            .to_string(),
        )
    } else {
        None
    };
    if let Some(hit) = key.as_ref().and_then(|k| state.answers.get(k)) {
        return Ok(axum::Json((*hit).clone()));
    }
    let mut records = Vec::new();
    let mut subject = Vec::new();
    for a in &alerts {
        let line = usize::try_from(a.id).unwrap_or(0);
        if let Some(rs) = crate::judge::alert_records(&a.raw, a.context.as_ref(), line, "alert") {
            records.extend(rs);
            subject.push(records.len() - 1);
        }
    }
    let hostname = alerts
        .first()
        .map(|a| a.hostname.clone())
        .unwrap_or_default();
    let history = if exception_intent {
        let mut recs = Vec::new();
        let mut read = Vec::new();
        for r in &rules {
            let h = crate::tune::history(&state, r).await?;
            read.push(format!(
                "the newest {} stored alert(s) of \"{}\" ({} with a person's decision{})",
                h.alerts_read,
                quell_events::term::escape(r),
                h.decided,
                if h.truncated {
                    "; older ones not read"
                } else {
                    ""
                }
            ));
            recs.extend(h.records);
        }
        Some((recs, read.join("; ")))
    } else {
        None
    };
    let rule_counts = if matches!(intent, Intent::TopRules | Intent::RuleDetects) {
        let counts = state.store.rule_counts().await?;
        let total = counts.iter().map(|(_, n)| n).sum();
        Some((counts, total))
    } else {
        None
    };
    let (engine, decisions) = (judging.engine, judging.history);
    let files = crate::tune::rules_files(&state).await?;
    let text = b.question;
    let llm = state.config.llm.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let assistant = quell_assist::Assistant {
            rules: &files,
            records: &records,
            hostname: &hostname,
        };
        let stored = Stored {
            subject: how.map(|h| (subject, h)),
            engine: Some(&engine),
            decisions: Some(&decisions),
            history: history.as_ref().map(|(r, w)| (r.as_slice(), w.clone())),
            rule_counts,
        };
        let q = Question {
            text: &text,
            about: None,
            lang,
        };
        let answered = match &llm {
            // With a model (`quell serve --llm-url`): it writes the prose over quell's
            // answer and tools on the same stored data; its reply is checked by code and
            // quell's verdict stays (quell-assist's model module).
            Some(cfg) => {
                let asker = quell_assist::model::StoredAsker {
                    assistant: &assistant,
                    stored: &stored,
                };
                let m = quell_assist::model::ask(&asker, cfg, &q);
                (m.answer.clone(), Some(m))
            }
            None => (assistant.ask_stored(&q, &stored), None),
        };
        (answered, (history, records))
    })
    .await
    .map_err(internal)?;
    let ((answer, with_model), read) = answer;
    // The history read (thousands of records) is freed off the answer's path.
    drop(tokio::task::spawn_blocking(move || drop(read)));
    if let Some(d) = answer
        .diagnostics
        .iter()
        .find(|d| d.code == quell_assist::ASK_SELECTOR_INVALID)
    {
        return Err(ApiError::bad_request(d.message.clone()));
    }
    let answer = match with_model {
        Some(m) => serde_json::to_value(&m).map_err(internal)?,
        None => serde_json::to_value(&answer).map_err(internal)?,
    };
    // A model's answer differs from one call to the next: only quell's own is kept.
    if let (Some(k), None) = (key, &state.config.llm) {
        state.answers.put(k, answer.clone());
    }
    Ok(axum::Json(answer))
}

/// Exception answers kept at most (the cache is emptied when it would grow past).
const MAX_CACHED_ANSWERS: usize = 256;

/// Exception answers, kept while what they rest on is unchanged (see `post_assistant`).
#[derive(Default)]
pub(crate) struct Answers {
    cache: Mutex<HashMap<String, Arc<Json>>>,
}

impl std::fmt::Debug for Answers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answers").finish_non_exhaustive()
    }
}

impl Answers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Json>>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &str) -> Option<Arc<Json>> {
        self.lock().get(key).cloned()
    }

    fn put(&self, key: String, answer: Json) {
        let mut c = self.lock();
        if c.len() >= MAX_CACHED_ANSWERS {
            c.clear();
        }
        c.insert(key, Arc::new(answer));
    }
}
