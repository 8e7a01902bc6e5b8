//! The store's backend-neutral types. Inputs have constructors and `Default` where that
//! makes sense; every struct is `#[non_exhaustive]` so fields can be added without breaking
//! callers (set fields on a value from `new`/`default`, don't build with a struct literal).
//! Times are nanoseconds since the Unix epoch, UTC.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::{Error, Result};

/// An alert as received, for [`crate::Store::ingest`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewAlert {
    /// The alert's JSON text exactly as received (one object: Falco's `http_output`
    /// JSON or one alert of falcosidekick's payload). Stored and returned byte for byte.
    pub raw: String,
    /// quell's event context (lineage, the session's events around it), if the sensor sent it.
    pub context: Option<Json>,
    /// `raw` already parsed by the caller ([`NewAlert::parsed`]), so the store does not
    /// parse it a second time.
    #[serde(skip)]
    object: Option<serde_json::Map<String, Json>>,
}

impl NewAlert {
    /// An alert without context.
    pub fn new(raw: impl Into<String>) -> NewAlert {
        NewAlert {
            raw: raw.into(),
            context: None,
            object: None,
        }
    }

    /// An alert its caller has already parsed: `object` must be `raw` parsed as a JSON
    /// object (a server that parsed the request body passes both, and the store reads the
    /// alert's columns and key from `object` instead of parsing `raw` again). `raw` is still
    /// what is stored and returned byte for byte.
    pub fn parsed(raw: impl Into<String>, object: serde_json::Map<String, Json>) -> NewAlert {
        NewAlert {
            raw: raw.into(),
            context: None,
            object: Some(object),
        }
    }

    /// The parsed object given to [`NewAlert::parsed`], if any (the store's preparation).
    pub(crate) fn take_object(&mut self) -> Option<serde_json::Map<String, Json>> {
        self.object.take()
    }

    /// The same alert with its event context.
    pub fn with_context(mut self, context: Json) -> NewAlert {
        self.context = Some(context);
        self
    }
}

/// What [`crate::Store::ingest`] did with a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IngestOutcome {
    /// Alerts stored now.
    pub stored: usize,
    /// Alerts already stored (or repeated within the batch), not stored again.
    pub duplicates: usize,
    /// The id of each alert of the batch, in the batch's order (for a duplicate, the id of
    /// the alert stored before).
    pub ids: Vec<i64>,
}

/// A stored alert.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StoredAlert {
    /// The store's id (increases with ingest order).
    pub id: i64,
    /// The idempotency key, hex SHA-256 of its content and time (the whole object with keys
    /// sorted, a sender's `uuid` included); scoped by sensor, so one sensor cannot shadow
    /// another's alerts.
    pub key: String,
    /// When the store received it.
    pub received_ns: u64,
    /// The alert's `time`.
    pub time_ns: u64,
    /// `rule`.
    pub rule: String,
    /// `priority`, as Falco spells it (`Warning`).
    pub priority: String,
    /// `hostname` (empty if the alert had none).
    pub hostname: String,
    /// `output_fields["container.id"]`.
    pub container_id: Option<String>,
    /// `output_fields["container.image.repository"]`, else `output_fields["container.image"]`.
    pub container_image: Option<String>,
    /// `output_fields["k8s.ns.name"]`.
    pub k8s_namespace: Option<String>,
    /// `source`.
    pub source: String,
    /// The sensor that sent it (from authentication, not from the alert).
    pub sensor: String,
    /// The cluster it belongs to.
    pub cluster_id: i64,
    /// `output`, the alert's text line.
    pub output: String,
    /// The alert's JSON text exactly as received.
    pub raw: String,
    /// quell's event context, as sent (`None` in lists unless [`AlertQuery::with_context`]).
    pub context: Option<Json>,
}

/// Filters and page of [`crate::Store::alerts`]. Every filter is an exact match unless said.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AlertQuery {
    /// `rule`.
    pub rule: Option<String>,
    /// `priority`, any case (`warning` = `Warning`); an unknown priority matches nothing.
    pub priority: Option<String>,
    /// `hostname`.
    pub host: Option<String>,
    /// Container id or image (either matches).
    pub container: Option<String>,
    /// Kubernetes namespace.
    pub namespace: Option<String>,
    /// Sensor.
    pub sensor: Option<String>,
    /// Cluster id.
    pub cluster_id: Option<i64>,
    /// Alert time at or after.
    pub since_ns: Option<u64>,
    /// Alert time before.
    pub until_ns: Option<u64>,
    /// Substring (case-sensitive, taken literally) of the output line or the rule.
    pub text: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size: default 100, at most 1000.
    pub limit: Option<usize>,
    /// Include each alert's event context.
    pub with_context: bool,
}

/// A page of alerts.
///
/// Pagination is by keyset (alert time, id): paging through with the cursors returns every
/// alert stored when the first page was read exactly once, whatever is ingested meanwhile
/// (alerts ingested later show up only if they sort after the cursor).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AlertPage {
    /// The alerts, newest first.
    pub alerts: Vec<StoredAlert>,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// The page stopped at the scan budget ([`Options::scan_budget`]) before it was full:
    /// it may hold fewer alerts than asked (none, even) and `next_cursor` continues the
    /// search where it stopped. Happens only when filters beyond the one the store seeks
    /// by (text, priority, sensor, a second column) match few of the alerts read.
    pub partial: bool,
}

/// A cluster: alerts of one rule on one host in one container image (no image: host
/// processes) with one behaviour signature (quell-triage's
/// [`quell_triage::cluster::Signature`] of the alert with its event context, computed at
/// ingest: [`crate::behaviour::signature`]). Clusters made before schema 4 have an empty
/// signature and keep their alerts.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Cluster {
    /// The store's id.
    pub id: i64,
    /// The rule.
    pub rule: String,
    /// The host.
    pub hostname: String,
    /// The container image (`None` for the host).
    pub container_image: Option<String>,
    /// The behaviour signature's id (12 hex digits; empty for a cluster made before
    /// schema 4).
    pub signature: String,
    /// Alerts stored in it.
    pub count: u64,
    /// The earliest alert time.
    pub first_seen_ns: u64,
    /// The latest alert time.
    pub last_seen_ns: u64,
    /// The latest decision on the cluster itself, if any.
    pub decision: Option<Decision>,
}

/// Filters and page of [`crate::Store::clusters`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClusterQuery {
    /// Rule.
    pub rule: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// Container image.
    pub image: Option<String>,
    /// Seen at or after (last seen ≥ this).
    pub since_ns: Option<u64>,
    /// Seen before (first seen < this).
    pub until_ns: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size: default 100, at most 1000.
    pub limit: Option<usize>,
}

/// Filters and page of [`crate::Store::inbox`]: clusters by their latest alert, newest
/// first. Every filter is an exact match unless said.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InboxQuery {
    /// Rule.
    pub rule: Option<String>,
    /// Minimum priority (`warning`: Warning and more severe), any case; an unknown
    /// priority is [`crate::Error::Invalid`].
    pub priority: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// Container image (`container.image.repository`, else `container.image`).
    pub image: Option<String>,
    /// Kubernetes namespace of the cluster's latest alert.
    pub namespace: Option<String>,
    /// Last seen at or after.
    pub since_ns: Option<u64>,
    /// First seen before.
    pub until_ns: Option<u64>,
    /// The latest decision on the cluster: `benign`, `real`, `investigating`, or `none`
    /// (no decision).
    pub decision: Option<String>,
    /// Substring (case-sensitive, literal) of the rule, host, image or namespace.
    pub text: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size: default 50, at most 200.
    pub limit: Option<usize>,
    /// The end of the trend's window (default: now); the trend is the 24 hours before the
    /// end of the hour holding it.
    pub trend_end_ns: Option<u64>,
}

/// The width of an inbox trend's bucket: one hour.
pub const TREND_BUCKET_NS: u64 = 3_600_000_000_000;

/// The buckets of an inbox trend: 24 hours.
pub const TREND_BUCKETS: usize = 24;

/// A cluster as the inbox shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct InboxCluster {
    /// The cluster (with its latest decision).
    pub cluster: Cluster,
    /// The priority of its latest alert.
    pub priority: String,
    /// The Kubernetes namespace of its latest alert.
    pub namespace: Option<String>,
    /// Its latest alert (by alert time, then id), with its event context; `None` if
    /// retention deleted it.
    pub latest: Option<StoredAlert>,
    /// The id of its latest alert.
    pub latest_alert_id: i64,
    /// The start of the trend's window ([`TREND_BUCKETS`] buckets of [`TREND_BUCKET_NS`]).
    pub trend_start_ns: u64,
    /// Its alerts per bucket, from a count table maintained at ingest (no alert is read).
    pub trend: Vec<u64>,
}

impl InboxCluster {
    /// The cursor of an inbox page that continues after this cluster.
    pub fn cursor(&self) -> String {
        format!(
            "k{}.{}",
            i64::try_from(self.cluster.last_seen_ns).unwrap_or(i64::MAX),
            self.cluster.id
        )
    }
}

/// A page of the inbox.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct InboxPage {
    /// The clusters, latest alert first (by last seen, then id).
    pub clusters: Vec<InboxCluster>,
    /// The cursor of the next page; `None` on the last page. Clusters move to the top as
    /// alerts arrive: one walk by cursors never shows a cluster twice, and a cluster that
    /// receives an alert while a person pages moves above the cursor (onto a fresh first
    /// page) instead of being shown further down.
    pub next_cursor: Option<String>,
    /// The page stopped at the scan budget ([`Options::scan_budget`] clusters read) before
    /// it was full: follow `next_cursor`.
    pub partial: bool,
}

/// A page of clusters, newest cluster (highest id) first: stable under concurrent ingest.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ClusterPage {
    /// The clusters.
    pub clusters: Vec<Cluster>,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// What a person decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Benign: a false positive.
    Benign,
    /// A real incident.
    Real,
    /// Being looked at; not a decision for triage history.
    Investigating,
}

impl Verdict {
    /// `benign`, `real`, `investigating`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Benign => "benign",
            Verdict::Real => "real",
            Verdict::Investigating => "investigating",
        }
    }

    /// The inverse of [`Verdict::as_str`].
    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "benign" => Some(Verdict::Benign),
            "real" => Some(Verdict::Real),
            "investigating" => Some(Verdict::Investigating),
            _ => None,
        }
    }
}

/// What a decision is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Target {
    /// One alert, by id.
    Alert(i64),
    /// A cluster, by id.
    Cluster(i64),
}

/// A decision to record, for [`crate::Store::decide`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewDecision {
    /// What it is about.
    pub target: Target,
    /// What was decided.
    pub verdict: Verdict,
    /// Who decided.
    pub actor: String,
    /// Why (free text).
    pub reason: String,
}

impl NewDecision {
    /// A decision by `actor` with `reason`.
    pub fn new(
        target: Target,
        verdict: Verdict,
        actor: impl Into<String>,
        reason: impl Into<String>,
    ) -> NewDecision {
        NewDecision {
            target,
            verdict,
            actor: actor.into(),
            reason: reason.into(),
        }
    }
}

/// A recorded decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Decision {
    /// The store's id.
    pub id: i64,
    /// What it is about.
    pub target: Target,
    /// What was decided.
    pub verdict: Verdict,
    /// Who decided.
    pub actor: String,
    /// When it was recorded.
    pub at_ns: u64,
    /// Why.
    pub reason: String,
}

/// One file of a rule set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RuleFile {
    /// Its name (`falco_rules.yaml`, `falco_rules.local.yaml`, `rules.d/x.yaml`).
    pub name: String,
    /// Its text.
    pub contents: String,
}

impl RuleFile {
    /// A file.
    pub fn new(name: impl Into<String>, contents: impl Into<String>) -> RuleFile {
        RuleFile {
            name: name.into(),
            contents: contents.into(),
        }
    }
}

/// Where an exception of a rule set came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExceptionProvenance {
    /// The rule it belongs to.
    pub rule: String,
    /// The exception's name.
    pub name: String,
    /// Who or what proposed it (`quell tune`, a person).
    pub proposer: String,
    /// Its verification (quell tune's proof), as JSON.
    pub verification: Option<Json>,
    /// A comment.
    pub comment: String,
    /// When it stops applying.
    pub expires_ns: Option<u64>,
}

impl ExceptionProvenance {
    /// An exception `name` of `rule` proposed by `proposer`, with no verification,
    /// comment or expiry.
    pub fn new(
        rule: impl Into<String>,
        name: impl Into<String>,
        proposer: impl Into<String>,
    ) -> ExceptionProvenance {
        ExceptionProvenance {
            rule: rule.into(),
            name: name.into(),
            proposer: proposer.into(),
            verification: None,
            comment: String::new(),
            expires_ns: None,
        }
    }
}

/// A rule-set version to save, for [`crate::Store::save_ruleset`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewRuleSet {
    /// Who saved it.
    pub author: String,
    /// Why.
    pub comment: String,
    /// Its files (names unique).
    pub files: Vec<RuleFile>,
    /// Its exceptions' provenance ((rule, name) unique).
    pub exceptions: Vec<ExceptionProvenance>,
}

impl NewRuleSet {
    /// A version of `files` by `author`.
    pub fn new(
        author: impl Into<String>,
        comment: impl Into<String>,
        files: Vec<RuleFile>,
    ) -> NewRuleSet {
        NewRuleSet {
            author: author.into(),
            comment: comment.into(),
            files,
            exceptions: Vec::new(),
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        let mut names = std::collections::BTreeSet::new();
        for f in &self.files {
            if !names.insert(f.name.as_str()) {
                return Err(Error::Invalid("two rule files have the same name".into()));
            }
        }
        let mut ex = std::collections::BTreeSet::new();
        for e in &self.exceptions {
            if !ex.insert((e.rule.as_str(), e.name.as_str())) {
                return Err(Error::Invalid(
                    "two exceptions have the same rule and name".into(),
                ));
            }
            if e.expires_ns.is_some_and(|t| i64::try_from(t).is_err()) {
                return Err(Error::Invalid(
                    "an exception's expiry is out of range".into(),
                ));
            }
        }
        Ok(())
    }
}

/// A rule-set version without its contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RuleSetSummary {
    /// The version (1, 2, …).
    pub version: i64,
    /// Who saved it.
    pub author: String,
    /// When.
    pub at_ns: u64,
    /// Why.
    pub comment: String,
    /// How many files.
    pub files: usize,
    /// How many exceptions with provenance.
    pub exceptions: usize,
}

/// A rule-set version.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RuleSet {
    /// The version (1, 2, …).
    pub version: i64,
    /// Who saved it.
    pub author: String,
    /// When.
    pub at_ns: u64,
    /// Why.
    pub comment: String,
    /// Its files, by name.
    pub files: Vec<RuleFile>,
    /// Its exceptions' provenance, by rule then name.
    pub exceptions: Vec<ExceptionProvenance>,
}

/// What a sensor reports, for [`crate::Store::report_sensor`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SensorReport {
    /// The sensor's identity (the authenticated name; not empty).
    pub name: String,
    /// Its host name.
    pub host: String,
    /// Its kernel release.
    pub kernel: String,
    /// Its quell version.
    pub quell_version: String,
    /// Drop counters by kind (e.g. `kernel`, `buffer`), totals since it started.
    pub drops: BTreeMap<String, u64>,
}

impl SensorReport {
    /// A report from sensor `name`.
    pub fn new(name: impl Into<String>) -> SensorReport {
        SensorReport {
            name: name.into(),
            ..SensorReport::default()
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.name.is_empty() {
            return Err(Error::Invalid("a sensor needs a name".into()));
        }
        if self.drops.values().any(|v| i64::try_from(*v).is_err()) {
            return Err(Error::Invalid("a drop counter is out of range".into()));
        }
        Ok(())
    }
}

/// A registered sensor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Sensor {
    /// The store's id.
    pub id: i64,
    /// Its identity.
    pub name: String,
    /// Its host name (latest report).
    pub host: String,
    /// Its kernel release (latest report).
    pub kernel: String,
    /// Its quell version (latest report).
    pub quell_version: String,
    /// When it first reported.
    pub first_seen_ns: u64,
    /// When it last reported.
    pub last_seen_ns: u64,
    /// Its drop counters (latest report).
    pub drops: BTreeMap<String, u64>,
}

/// What a token may do (the server enforces it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything.
    Admin,
    /// Ingest alerts and read rules.
    Sensor,
    /// Read only.
    Viewer,
}

impl Role {
    /// `admin`, `sensor`, `viewer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Sensor => "sensor",
            Role::Viewer => "viewer",
        }
    }

    /// The inverse of [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "sensor" => Some(Role::Sensor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// A token to create, for [`crate::Store::create_token`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewToken {
    /// A name for it (for a sensor token: the sensor's identity).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Who creates it.
    pub actor: String,
}

impl NewToken {
    /// A token `name` with `role`, created by `actor`.
    pub fn new(name: impl Into<String>, role: Role, actor: impl Into<String>) -> NewToken {
        NewToken {
            name: name.into(),
            role,
            actor: actor.into(),
        }
    }
}

/// A token as stored (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The store's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// When it was created.
    pub created_ns: u64,
    /// Who created it.
    pub created_by: String,
    /// When it was revoked.
    pub revoked_ns: Option<u64>,
}

/// A token just created: the only time the token's text exists outside its holder.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatedToken {
    /// What is stored.
    pub info: TokenInfo,
    /// The token (`quell_` and 64 hex digits): show it once.
    pub token: String,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("info", &self.info)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A page of the audit log, for [`crate::Store::audit`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditQuery {
    /// Entries with a smaller id than this (the last id of the previous page).
    pub before_id: Option<i64>,
    /// Page size: default 100, at most 1000.
    pub limit: Option<usize>,
}

/// One change, as the audit log records it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AuditEntry {
    /// The store's id (increasing).
    pub id: i64,
    /// When.
    pub at_ns: u64,
    /// Who.
    pub actor: String,
    /// What: `decision.create`, `ruleset.save`, `token.create`, `token.revoke`,
    /// `sensor.register`.
    pub action: String,
    /// On what (`alert:12`, `cluster:3`, `ruleset:4`, `token:2`, `sensor:NAME`).
    pub target: String,
    /// Details, as JSON.
    pub detail: Json,
}

/// Options of [`crate::Store::open_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Reader connections kept open (SQLite; default 4).
    pub readers: usize,
    /// Writes committed together at most (SQLite; default 64).
    pub max_group: usize,
    /// Connections in the pool (PostgreSQL; default 16).
    pub pg_connections: usize,
    /// Whether every commit waits until it is on the disk (SQLite `synchronous = FULL`, the
    /// default), so that an acknowledged write survives a power loss or an operating-system
    /// crash too. `false`: WAL with `synchronous = NORMAL`, where an acknowledged write
    /// survives the server process being killed (the commit is in the WAL file, written
    /// before the acknowledgement) but the last commits before a power loss or OS crash can
    /// be lost; the database stays consistent either way. On the benchmark machine NORMAL
    /// gave no measurable ingest gain (BENCHMARKS.md), so the default stays FULL.
    pub full_sync: bool,
    /// Rows an alert query reads at most for one page (default 10,000): a filter that
    /// matches few alerts (text, priority, sensor, or a second column beside the one the
    /// store seeks by) answers a partial page ([`AlertPage::partial`]) with a cursor, rather
    /// than scanning the whole table in one request.
    pub scan_budget: usize,
    /// Alerts gathered in the small recent table before the writer moves them into the
    /// indexed one in one transaction (SQLite; default 20,000): larger moves write fewer
    /// index pages per alert and stall ingest longer when they happen.
    pub merge_rows: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            readers: 4,
            max_group: 64,
            pg_connections: 16,
            full_sync: true,
            scan_budget: 10_000,
            merge_rows: 20_000,
        }
    }
}

/// What [`crate::Store::expire_before`] deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Retention {
    /// Alerts deleted.
    pub alerts: u64,
    /// Day partitions dropped (PostgreSQL; 0 on SQLite, which deletes rows).
    pub partitions: u64,
}
