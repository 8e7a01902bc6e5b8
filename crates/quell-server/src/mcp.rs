//! `/mcp`: quell's MCP tools (quell-mcp) over streamable HTTP, backed by the store.
//!
//! The route sits behind the server's bearer-token authentication like every API route
//! ([`crate::app::Access::Read`]: admin and viewer tokens; a sensor token gets 403). The
//! requests' `Host` (and `Origin`, when a browser sends one) must name the server: the
//! loopback names (`localhost`, `127.0.0.1`, `::1`) and the names in
//! [`crate::Config::mcp_allowed_hosts`] (`quell serve --mcp-allowed-host`), against DNS
//! rebinding; anything else gets 403 from rmcp's check.
//!
//! The tools are quell-mcp's; this module gives them the store: `search_alerts` is the
//! store's alert query, `triage` and `explain_alert` take a stored alert's id and judge it
//! with the server's judge (people's decisions as history), `propose_exception` and
//! `check_exception` are the server's tune and tune check ([`crate::tune`]) over stored
//! alert ids. A call that carries `events` is answered over those events with the active
//! rule set's files. Nothing here writes to the store.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::{on_service, MethodFilter, MethodRouter};
use quell_events::term::escape;
use quell_mcp::args::{CheckArgs, ExplainArgs, ProposeArgs, SearchArgs, TriageArgs};
use quell_mcp::{blocking, clip, Backend, BoxFut, Output, QuellMcp, Recorded, ToolError};
use quell_store::{AlertQuery, StoredAlert};
use quell_triage::verify::RulesFile;
use quell_triage::Lang;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{json, Value as Json};

use crate::app::{ApiError, Shared};

/// The loopback names `/mcp` always accepts as `Host`.
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The most stored alerts `propose_exception` judges before proposing (each is triaged:
/// no exception is written for an alert quell rates likely real).
pub const MAX_PROPOSE_ALERTS: usize = 100;

/// The `Host` names `/mcp` accepts: the loopback names and the configured ones.
pub fn allowed_hosts(configured: &[String]) -> Vec<String> {
    let mut v: Vec<String> = LOOPBACK_HOSTS.iter().map(|s| s.to_string()).collect();
    for h in configured {
        if !v.contains(h) {
            v.push(h.clone());
        }
    }
    v
}

/// The `/mcp` route: rmcp's streamable HTTP service over the store, stateless, JSON answers.
pub(crate) fn route(state: Shared) -> MethodRouter<Shared> {
    let hosts = allowed_hosts(&state.config.mcp_allowed_hosts);
    let origins: Vec<String> = hosts
        .iter()
        .flat_map(|h| {
            let h = if h.contains(':') && !h.starts_with('[') {
                format!("[{h}]")
            } else {
                h.clone()
            };
            [format!("http://{h}:*"), format!("https://{h}:*")]
        })
        .collect();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        // The server's own body limit: an oversized argument reaches the tool's bound and
        // gets a tool error naming it, rather than a transport failure.
        .with_max_request_body_bytes(state.config.max_body_bytes);
    let backend: Arc<dyn Backend> = Arc::new(StoreBackend { state });
    let service = StreamableHttpService::new(
        move || Ok(QuellMcp::new(backend.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    // POST carries the messages; GET (a server-sent event stream) and DELETE (a session's
    // end) are answered by rmcp (405 and 202 without sessions).
    on_service(
        MethodFilter::POST
            .or(MethodFilter::GET)
            .or(MethodFilter::DELETE),
        service,
    )
}

struct StoreBackend {
    state: Shared,
}

/// An API error as a tool error on `arg` (a 4xx) or the server's (the rest).
fn tool_error(arg: &'static str, e: ApiError) -> ToolError {
    if e.status.is_client_error() {
        ToolError::arg(arg, format!("`{arg}`: {}", clip(&e.message)))
    } else {
        ToolError::internal(clip(&e.message))
    }
}

fn lang(l: Option<quell_mcp::args::LangArg>) -> Lang {
    l.unwrap_or_default().into()
}

/// A stored alert's id given as `arg`.
fn alert_id(arg: &'static str, v: Option<&str>) -> Result<i64, ToolError> {
    let Some(v) = v else {
        return Err(ToolError::arg(
            arg,
            format!("`{arg}`: give a stored alert's id (search_alerts lists them), or `events`"),
        ));
    };
    v.trim().parse::<i64>().map_err(|_| {
        ToolError::arg(
            arg,
            format!(
                "`{arg}`: {:?} is not a stored alert's id (a number)",
                clip(v)
            ),
        )
    })
}

fn alert_json(a: &StoredAlert) -> Json {
    json!({
        "alert": a.id.to_string(),
        "rule": a.rule,
        "priority": a.priority,
        "time_ns": a.time_ns,
        "hostname": escape(&a.hostname),
        "cluster_id": a.cluster_id,
        "output": escape(&a.output),
    })
}

fn verdict_text(t: &Json) -> String {
    let label = if t["lang"] == "ja" {
        "判定"
    } else {
        "Verdict"
    };
    let mut s = format!(
        "{label}: {} (score {:.2}).",
        t["verdict_text"].as_str().unwrap_or("none"),
        t["score"].as_f64().unwrap_or(0.0)
    );
    for r in t["reasons"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "\n  {:+.2} {}: {}",
            r["effect"].as_f64().unwrap_or(0.0),
            r["signal"].as_str().unwrap_or(""),
            r["evidence"].as_str().unwrap_or("")
        ));
    }
    s
}

impl StoreBackend {
    async fn stored(&self, arg: &'static str, id: i64) -> Result<StoredAlert, ToolError> {
        self.state
            .store
            .alert(id)
            .await
            .map_err(|e| tool_error(arg, e.into()))?
            .ok_or_else(|| ToolError::arg(arg, format!("`{arg}`: there is no stored alert {id}")))
    }

    async fn judged(&self, a: &StoredAlert, l: Lang) -> Result<Json, ToolError> {
        let (t, _) = crate::console::triage_one(&self.state, a, l)
            .await
            .map_err(|e| tool_error("alert", e))?;
        Ok(t.unwrap_or(Json::Null))
    }
}

impl Backend for StoreBackend {
    fn describe(&self) -> String {
        "the alerts stored by this quell server and its active rule set".into()
    }

    fn rules(&self) -> BoxFut<'_, Result<Vec<RulesFile>, ToolError>> {
        Box::pin(async move {
            crate::tune::rules_files(&self.state)
                .await
                .map_err(|e| tool_error("rules", e))
        })
    }

    fn triage(&self, a: TriageArgs) -> BoxFut<'_, Result<Output, ToolError>> {
        Box::pin(async move {
            let id = alert_id("alert", a.alert.as_deref())?;
            let stored = self.stored("alert", id).await?;
            let t = self.judged(&stored, lang(a.lang)).await?;
            Ok(Output {
                text: format!(
                    "Alert {id}, rule {:?}: {}",
                    escape(&stored.rule),
                    verdict_text(&t)
                ),
                json: json!({"alert": alert_json(&stored), "verdict": t}),
            })
        })
    }

    fn explain(&self, a: ExplainArgs) -> BoxFut<'_, Result<Output, ToolError>> {
        Box::pin(async move {
            let id = alert_id("alert", a.alert.as_deref())?;
            let stored = self.stored("alert", id).await?;
            let t = self.judged(&stored, lang(a.lang)).await?;
            let rules = self.rules().await?;
            let (raw, ctx) = (stored.raw.clone(), stored.context.clone());
            let why = blocking(move || {
                // The alert alone, its context's process fields added: the clauses are
                // evaluated on it (its session's starts are for triage, done above).
                let mut records = crate::judge::alert_records(&raw, ctx.as_ref(), 1, "alert")
                    .ok_or_else(|| ToolError::internal("the stored alert does not parse"))?;
                let alert = records.pop().into_iter().collect();
                Recorded {
                    rules,
                    records: alert,
                    hostname: String::new(),
                }
                .why_fired(None, a.lang)
            })
            .await?;
            Ok(Output {
                text: format!("{}\n{}", why.text.trim_end(), verdict_text(&t)),
                json: json!({"alert": alert_json(&stored), "why_fired": why.json, "verdict": t}),
            })
        })
    }

    fn search(&self, a: SearchArgs) -> BoxFut<'_, Result<Output, ToolError>> {
        Box::pin(async move {
            let mut q = AlertQuery::default();
            q.rule = a.rule;
            q.priority = a.priority;
            q.text = a.text;
            q.limit = Some(a.limit.unwrap_or(quell_mcp::args::DEFAULT_RESULTS));
            let page = self
                .state
                .store
                .alerts(q)
                .await
                .map_err(|e| tool_error("text", e.into()))?;
            let alerts: Vec<Json> = page.alerts.iter().map(alert_json).collect();
            Ok(Output {
                text: format!(
                    "{} stored alert(s){}, newest first. Name one by its `alert` id in triage, explain_alert or propose_exception.",
                    alerts.len(),
                    if page.next_cursor.is_some() { " (more match)" } else { "" }
                ),
                json: json!({"alerts": alerts, "more": page.next_cursor.is_some()}),
            })
        })
    }

    fn propose(&self, a: ProposeArgs) -> BoxFut<'_, Result<Output, ToolError>> {
        Box::pin(async move {
            if a.alerts.len() > MAX_PROPOSE_ALERTS {
                return Err(ToolError::arg(
                    "alerts",
                    format!("`alerts`: at most {MAX_PROPOSE_ALERTS} stored alerts on the server"),
                ));
            }
            let mut ids = Vec::new();
            for v in &a.alerts {
                ids.push(alert_id("alerts", Some(v))?);
            }
            // No exception for an alert quell rates likely real: the caller is an assistant,
            // whose choice of alerts an attacker's text may have steered.
            for &id in &ids {
                let stored = self.stored("alerts", id).await?;
                let t = self.judged(&stored, lang(a.lang)).await?;
                if t["verdict"] == "likely_real" {
                    return Ok(Output {
                        text: format!(
                            "No exception: quell rates alert {id} likely real. {}",
                            verdict_text(&t)
                        ),
                        json: json!({"exception": null, "refused": true, "alert": alert_json(&stored), "verdict": t}),
                    });
                }
            }
            let (status, j) = crate::tune::tune(&self.state, ids, Vec::new())
                .await
                .map_err(|e| tool_error("alerts", e))?;
            if status != StatusCode::OK {
                return Ok(Output {
                    text: format!(
                        "No exception passes verification: {}",
                        clip(j["error"].as_str().unwrap_or(""))
                    ),
                    json: json!({"exception": null, "refused": false, "tune": j}),
                });
            }
            let v = &j["verification"];
            Ok(Output {
                text: format!(
                    "A verified exception for rule {:?} (verification passed: {}):\n{}",
                    escape(j["rule"].as_str().unwrap_or("")),
                    v["passed"],
                    j["yaml"].as_str().unwrap_or("")
                ),
                json: json!({
                    "exception": {"yaml": j["yaml"], "verification": j["verification"],
                                  "legacy_yaml": j["legacy"]["yaml"], "legacy_verification": j["legacy"]["verification"]},
                    "refused": false,
                    "tune": j,
                }),
            })
        })
    }

    fn check(&self, a: CheckArgs) -> BoxFut<'_, Result<Output, ToolError>> {
        Box::pin(async move {
            let mut ids = Vec::new();
            for v in a.alerts.as_deref().unwrap_or_default() {
                ids.push(alert_id("alerts", Some(v))?);
            }
            let body = crate::tune::CheckBody {
                yaml: a.yaml,
                name: None,
                alert_ids: ids,
                cluster_ids: Vec::new(),
            };
            let j = crate::tune::check(&self.state, body)
                .await
                .map_err(|e| tool_error("yaml", e))?;
            let mut text = if j["ok"] == true {
                "The exception loads and passes verification.".to_string()
            } else {
                "The exception has problems:".to_string()
            };
            for p in j["problems"].as_array().into_iter().flatten() {
                text.push_str(&format!(
                    "\n- {} ({})",
                    p["what"].as_str().unwrap_or(""),
                    p["fix"].as_str().unwrap_or("")
                ));
            }
            for r in j["rules"].as_array().into_iter().flatten() {
                if let Some(y) = r["corrected"]["yaml"].as_str() {
                    text.push_str("\nCorrected:\n");
                    text.push_str(y);
                }
            }
            Ok(Output { text, json: j })
        })
    }
}
