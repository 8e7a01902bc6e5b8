//! The tools' arguments: JSON schemas (schemars) with descriptions, and their bounds,
//! checked before any work ([`Bounded::check`]).

use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;

use crate::ToolError;

/// The most bytes of an `events` argument (JSON Lines text).
pub const MAX_EVENTS_BYTES: usize = 8 << 20;
/// The most bytes of a rules or exception YAML argument.
pub const MAX_YAML_BYTES: usize = 1 << 20;
/// The most bytes of an alert selector or a search text.
pub const MAX_SELECTOR_BYTES: usize = 4096;
/// The most alerts one call names.
pub const MAX_ALERTS: usize = 1000;
/// The most results a search or a replay returns.
pub const MAX_RESULTS: usize = 500;
/// The results a search or a replay returns when `limit` is not given.
pub const DEFAULT_RESULTS: usize = 50;

/// The language of the answers.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LangArg {
    /// English.
    #[default]
    En,
    /// Japanese.
    Ja,
}

impl From<LangArg> for quell_triage::Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::En => quell_triage::Lang::En,
            LangArg::Ja => quell_triage::Lang::Ja,
        }
    }
}

/// `validate_rules`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateArgs {
    /// The rules file to validate (Falco rules YAML, at most 1 MiB). Nothing is loaded into
    /// the server: the answer is the loader's diagnostics (stable codes, as `falco -V`).
    pub yaml: String,
    /// Its file name in the diagnostics (default `rules.yaml`; at most 256 bytes).
    pub name: Option<String>,
    /// Load it after the rules the server runs (default true), as a local file that
    /// appends to or overrides them; false: validate it alone.
    pub over_loaded_rules: Option<bool>,
}

/// `replay`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayArgs {
    /// The events to evaluate: JSON Lines text (events as `quell run --record` writes them,
    /// or Falco JSON alert lines), at most 8 MiB.
    pub events: String,
    /// Extra rules (YAML, at most 1 MiB) loaded after the server's, for this call only.
    pub rules_yaml: Option<String>,
    /// The most alerts returned (default 50, at most 500); the counts cover all.
    pub limit: Option<usize>,
}

/// `triage`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageArgs {
    /// The alert: over events (`quell mcp`, or `events` given) an alert number (1-based,
    /// in the order the events raise them), a cluster id (12 hex digits) or a condition
    /// such as `proc.cmdline="rm /var/log/dpkg.log"`; on `quell serve`, a stored alert's
    /// id. Absent over events: every cluster's verdict.
    pub alert: Option<String>,
    /// Events to triage instead of the server's (JSON Lines text, at most 8 MiB).
    pub events: Option<String>,
    /// The language of the reasons (`en` default, `ja`).
    pub lang: Option<LangArg>,
}

/// `explain_alert`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainArgs {
    /// The alert (as `triage`'s `alert`); over events, absent means the first alert.
    pub alert: Option<String>,
    /// Events to look at instead of the server's (JSON Lines text, at most 8 MiB).
    pub events: Option<String>,
    /// The language of the answer (`en` default, `ja`).
    pub lang: Option<LangArg>,
}

/// `search_alerts`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Only alerts of this rule (its exact name).
    pub rule: Option<String>,
    /// Only alerts whose output contains this text (case-insensitive over events; the
    /// store's text search on `quell serve`).
    pub text: Option<String>,
    /// Only alerts of this priority (`Warning`, `Critical`, ...).
    pub priority: Option<String>,
    /// The most alerts returned (default 50, at most 500).
    pub limit: Option<usize>,
    /// Events to search instead of the server's (JSON Lines text, at most 8 MiB).
    pub events: Option<String>,
}

/// `propose_exception`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeArgs {
    /// The alerts judged benign: over events one selector (an alert number, a cluster id
    /// or a condition, which may pick several alerts); on `quell serve`, stored alert ids
    /// (at most 1000, of one rule).
    pub alerts: Vec<String>,
    /// Events to work over instead of the server's (JSON Lines text, at most 8 MiB): the
    /// history the exception is verified against.
    pub events: Option<String>,
    /// The language of the answer (`en` default, `ja`).
    pub lang: Option<LangArg>,
}

/// `check_exception`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckArgs {
    /// The exception block to check (YAML starting with `- rule:`, at most 1 MiB), as
    /// `quell tune --check` checks it: the problems and a corrected block. Nothing is
    /// applied.
    pub yaml: String,
    /// The alerts it should silence (as `propose_exception`'s `alerts`), optional.
    pub alerts: Option<Vec<String>>,
    /// Events to verify against instead of the server's (JSON Lines text, at most 8 MiB).
    pub events: Option<String>,
    /// The language of the answer (`en` default, `ja`).
    pub lang: Option<LangArg>,
}

fn max_len(arg: &'static str, v: Option<&str>, max: usize) -> Result<(), ToolError> {
    match v {
        Some(s) if s.len() > max => Err(ToolError::arg(
            arg,
            format!("`{arg}` is {} bytes; at most {max} are read", s.len()),
        )),
        _ => Ok(()),
    }
}

fn limit(v: Option<usize>) -> Result<(), ToolError> {
    match v {
        Some(n) if n == 0 || n > MAX_RESULTS => Err(ToolError::arg(
            "limit",
            format!("`limit` is between 1 and {MAX_RESULTS}"),
        )),
        _ => Ok(()),
    }
}

fn alerts(v: &[String]) -> Result<(), ToolError> {
    if v.len() > MAX_ALERTS {
        return Err(ToolError::arg(
            "alerts",
            format!("`alerts` names {} alerts; at most {MAX_ALERTS}", v.len()),
        ));
    }
    for a in v {
        max_len("alerts", Some(a), MAX_SELECTOR_BYTES)?;
    }
    Ok(())
}

/// Arguments with bounds.
pub trait Bounded {
    /// Checks every bound; the error names the argument at fault.
    fn check(&self) -> Result<(), ToolError>;
}

impl Bounded for ValidateArgs {
    fn check(&self) -> Result<(), ToolError> {
        max_len("yaml", Some(&self.yaml), MAX_YAML_BYTES)?;
        max_len("name", self.name.as_deref(), 256)
    }
}

impl Bounded for ReplayArgs {
    fn check(&self) -> Result<(), ToolError> {
        max_len("events", Some(&self.events), MAX_EVENTS_BYTES)?;
        max_len("rules_yaml", self.rules_yaml.as_deref(), MAX_YAML_BYTES)?;
        limit(self.limit)
    }
}

impl Bounded for TriageArgs {
    fn check(&self) -> Result<(), ToolError> {
        max_len("alert", self.alert.as_deref(), MAX_SELECTOR_BYTES)?;
        max_len("events", self.events.as_deref(), MAX_EVENTS_BYTES)
    }
}

impl Bounded for ExplainArgs {
    fn check(&self) -> Result<(), ToolError> {
        max_len("alert", self.alert.as_deref(), MAX_SELECTOR_BYTES)?;
        max_len("events", self.events.as_deref(), MAX_EVENTS_BYTES)
    }
}

impl Bounded for SearchArgs {
    fn check(&self) -> Result<(), ToolError> {
        max_len("rule", self.rule.as_deref(), MAX_SELECTOR_BYTES)?;
        max_len("text", self.text.as_deref(), MAX_SELECTOR_BYTES)?;
        max_len("priority", self.priority.as_deref(), 32)?;
        max_len("events", self.events.as_deref(), MAX_EVENTS_BYTES)?;
        limit(self.limit)
    }
}

impl Bounded for ProposeArgs {
    fn check(&self) -> Result<(), ToolError> {
        if self.alerts.is_empty() {
            return Err(ToolError::arg(
                "alerts",
                "`alerts` is empty: name the alerts judged benign",
            ));
        }
        alerts(&self.alerts)?;
        max_len("events", self.events.as_deref(), MAX_EVENTS_BYTES)
    }
}

impl Bounded for CheckArgs {
    fn check(&self) -> Result<(), ToolError> {
        max_len("yaml", Some(&self.yaml), MAX_YAML_BYTES)?;
        alerts(self.alerts.as_deref().unwrap_or_default())?;
        max_len("events", self.events.as_deref(), MAX_EVENTS_BYTES)
    }
}
