//! Triage: a verdict per cluster with a score, the reasons that moved it (each naming
//! its evidence), and what a person should confirm. English and Japanese.
//!
//! The score is the estimated probability that the cluster is a false positive. It
//! starts at 0.5 (no evidence either way) and each signal adds its effect in log-odds:
//! positive effects point to a false positive, negative ones to a real attack.

use std::collections::HashMap;

use quell_events::FlatEvent;
use quell_rules::engine::Engine;
use quell_rules::output::falco_time;
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::catalogue::Catalogue;
use crate::cluster::{cluster, target, Cluster};
use crate::evidence::{actor, target_sensitivity, Activity, Sensitivity};
use crate::history::History;
use crate::input::{alerts, text, Alert, Record};
use crate::session::Sessions;

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
    fn t(self, en: String, ja: String) -> String {
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
}

/// Rules that fire when a person opens a shell in a workload (quell's and Falco's names):
/// in an interactive session they describe the entry itself, not further activity.
const SESSION_ENTRY_RULES: &[&str] =
    &["Terminal Shell in Container", "Terminal shell in container"];

/// Effect of an interactive session (a person at a terminal, an sshd login, a runtime `exec`).
/// Set to 1.4 after the first corpus run (it was 1.0); see BENCHMARKS.md.
pub const INTERACTIVE_WEIGHT: f64 = 1.4;

/// How many reasons a report keeps.
pub const MAX_REASONS: usize = 5;
/// How many members of a cluster are examined for evidence.
const MAX_EXAMINED: usize = 256;

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

/// A signal seen on one alert.
struct Seen {
    signal: &'static str,
    evidence_en: String,
    evidence_ja: String,
    effect: f64,
    confirm_en: Option<String>,
    confirm_ja: Option<String>,
}

fn seen(signal: &'static str, effect: f64, en: String, ja: String) -> Seen {
    Seen {
        signal,
        evidence_en: en,
        evidence_ja: ja,
        effect,
        confirm_en: None,
        confirm_ja: None,
    }
}

impl Seen {
    fn confirm(mut self, en: String, ja: String) -> Seen {
        self.confirm_en = Some(en);
        self.confirm_ja = Some(ja);
        self
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A Falco JSON alert for a record: the alert line itself when it is one, else built
/// from the rule's output format.
pub fn sample_alert(engine: &Engine, rule: &str, r: &Record, hostname: &str) -> Json {
    if let Some(raw) = &r.raw_alert {
        return raw.clone();
    }
    let ts = r.event.timestamp_ns().unwrap_or(0);
    match engine.rule(rule) {
        Some(c) => quell_events::FalcoAlert::new(c, &r.event, ts, hostname).to_json(),
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

impl Triage<'_> {
    /// Triages records (a recording or Falco alerts): finds the alerts, clusters them and
    /// returns one report per cluster, in order of first appearance.
    pub fn run(&self, records: &[Record]) -> Vec<ClusterReport> {
        let all = alerts(self.engine, records);
        let clusters = cluster(&all, records);
        let sessions = Sessions::new(records);
        let mut by_record: HashMap<usize, Vec<&Alert>> = HashMap::new();
        for a in &all {
            by_record.entry(a.index).or_default().push(a);
        }
        clusters
            .iter()
            .map(|c| self.report(c, records, &sessions, &by_record))
            .collect()
    }

    fn signals_for(
        &self,
        rule: &str,
        records: &[Record],
        at: usize,
        sessions: &Sessions,
        by_record: &HashMap<usize, Vec<&Alert>>,
    ) -> Vec<Seen> {
        let mut out = Vec::new();
        let Some(r) = records.get(at) else { return out };
        let ev = &r.event;
        let proc_name = text(ev, "proc.name").unwrap_or_else(|| "?".into());
        if let Some(m) = self.catalogue.find(ev) {
            let who = if m.level == 0 {
                proc_name.to_string()
            } else {
                format!("{proc_name} (ancestor {} = {})", m.level, m.actor)
            };
            let who_ja = if m.level == 0 {
                proc_name.clone()
            } else {
                format!("{proc_name}（{} 代前の親 {}）", m.level, m.actor)
            };
            out.push(
                seen(
                    "known_benign",
                    m.entry.weight,
                    format!(
                        "{who} matches the known-benign catalogue entry `{}`: {}",
                        m.entry.name, m.entry.description_en
                    ),
                    format!(
                        "{who_ja} は既知の正常動作カタログの `{}`（{}）に該当します",
                        m.entry.name, m.entry.description_ja
                    ),
                )
                .confirm(
                    format!(
                        "that {} ran as part of a scheduled or approved job",
                        m.actor
                    ),
                    format!(
                        "{} の実行が定期ジョブまたは承認済みの作業によるものか",
                        m.actor
                    ),
                ),
            );
        }
        let a = actor(ev);
        if let Some((lvl, path)) = &a.dropped_exe {
            let whose = if *lvl == 0 {
                "the process itself".to_string()
            } else {
                format!("its ancestor {lvl} levels up")
            };
            let whose_ja = if *lvl == 0 {
                "プロセス自身".to_string()
            } else {
                format!("{lvl} 代前の親プロセス")
            };
            out.push(
                seen(
                    "dropped_binary",
                    -2.5,
                    format!("{whose} runs {path}, from a temporary directory, memfd or a layer written after the container started"),
                    format!("{whose_ja}が一時ディレクトリ・memfd・コンテナ起動後に書かれたレイヤーの {path} から実行されています"),
                )
                .confirm(
                    format!("where {path} came from (its hash, who wrote it, the download source)"),
                    format!("{path} の出所（ハッシュ値、書き込んだプロセス、ダウンロード元）"),
                ),
            );
        }
        if let Some((server, shell)) = &a.service_shell {
            out.push(
                seen(
                    "service_shell",
                    -2.2,
                    format!("a shell ({shell}) spawned by the service {server} is in the process lineage: a service does not normally run shells"),
                    format!("サービス {server} が起動したシェル（{shell}）がプロセスの系譜にあります。通常サービスはシェルを起動しません"),
                )
                .confirm(
                    format!("the {server} access and error logs for the request that started the shell"),
                    format!("シェルを起動したリクエストを {server} のアクセスログ・エラーログで確認"),
                ),
            );
        }
        if a.service_shell.is_none()
            && a.dropped_exe.is_none()
            && (a.tty || a.entry.is_some() || a.runtime.is_some())
        {
            let mut how = Vec::new();
            let mut how_ja = Vec::new();
            if a.tty {
                how.push("a controlling terminal".to_string());
                how_ja.push("制御端末（tty）".to_string());
            }
            if let Some(e) = &a.entry {
                how.push(format!("entered through {e}"));
                how_ja.push(format!("{e} 経由のログイン"));
            }
            if let Some(rt) = &a.runtime {
                how.push(format!(
                    "a shell entered through the container runtime ({rt})"
                ));
                how_ja.push(format!("コンテナランタイム（{rt}）経由で入ったシェル"));
            }
            out.push(
                seen(
                    "interactive_session",
                    INTERACTIVE_WEIGHT,
                    format!("run by a person in an interactive session: {}", how.join(", ")),
                    format!("対話セッションで人が実行しています：{}", how_ja.join("、")),
                )
                .confirm(
                    "who was logged in at that time and whether the change was planned (change ticket, shell history)".into(),
                    "その時刻にログインしていた人と、作業が計画されたものか（変更チケット、シェル履歴）".into(),
                ),
            );
        }
        if let Some((t, s)) = target_sensitivity(ev) {
            match s {
                Sensitivity::Low => out.push(seen(
                    "target_sensitivity",
                    0.8,
                    format!("the target {t} is housekeeping data (a package manager's log or a rotated archive)"),
                    format!("対象 {t} はパッケージ管理のログやローテート済みアーカイブなど、重要度の低いデータです"),
                )),
                Sensitivity::High => out.push(
                    seen(
                        "target_sensitivity",
                        -1.2,
                        format!("the target {t} is sensitive (authentication or audit records, shell history or credentials)"),
                        format!("対象 {t} は認証・監査記録、シェル履歴、認証情報などの重要なデータです"),
                    )
                    .confirm(
                        format!("whether {t} was backed up or forwarded before the change"),
                        format!("{t} が変更前にバックアップまたは転送されていたか"),
                    ),
                ),
                Sensitivity::Medium => {}
            }
        }
        // Session context.
        let is_maint = |n: &str| self.catalogue.entry_for_actor(n).is_some();
        let ctx = sessions.context(records, at, &is_maint);
        let when = |b: bool, lang_ja: bool| match (b, lang_ja) {
            (true, false) => "before",
            (false, false) => "after",
            (true, true) => "前",
            (false, true) => "後",
        };
        let mut kinds = Vec::new();
        if let Some(c) = ctx
            .iter()
            .find(|c| matches!(c.activity, Activity::Download(..)))
        {
            if let Activity::Download(p, cmd) = &c.activity {
                kinds.push("download");
                out.push(
                    seen(
                        "session_download",
                        -1.2,
                        format!("the same session downloaded a file {} the alert: `{cmd}`", when(c.before, false)),
                        format!("同じセッションがアラートの{}にファイルをダウンロードしています：`{cmd}`", when(c.before, true)),
                    )
                    .confirm(format!("what {p} fetched and from where"), format!("{p} が何をどこから取得したか")),
                );
            }
        }
        if let Some(c) = ctx
            .iter()
            .find(|c| matches!(c.activity, Activity::ExecDropped(_)))
        {
            if let Activity::ExecDropped(p) = &c.activity {
                kinds.push("exec");
                out.push(seen(
                    "session_exec_dropped",
                    -1.5,
                    format!("the same session ran {p} from a temporary directory or memfd {} the alert", when(c.before, false)),
                    format!("同じセッションがアラートの{}に一時ディレクトリまたは memfd の {p} を実行しています", when(c.before, true)),
                ));
            }
        }
        if let Some(c) = ctx
            .iter()
            .find(|c| matches!(c.activity, Activity::Outbound(_)))
        {
            if let Activity::Outbound(addr) = &c.activity {
                kinds.push("outbound");
                out.push(
                    seen(
                        "session_outbound",
                        -1.0,
                        format!("the same session connected to a non-local address {} the alert: {addr}", when(c.before, false)),
                        format!("同じセッションがアラートの{}に外部アドレスへ接続しています：{addr}", when(c.before, true)),
                    )
                    .confirm(format!("who owns {addr}"), format!("{addr} の所有者")),
                );
            }
        }
        if let Some(c) = ctx
            .iter()
            .find(|c| matches!(c.activity, Activity::CredentialRead(_)))
        {
            if let Activity::CredentialRead(p) = &c.activity {
                kinds.push("credentials");
                out.push(
                    seen(
                        "session_credentials",
                        -1.5,
                        format!(
                            "the same session read credentials {} the alert: {p}",
                            when(c.before, false)
                        ),
                        format!(
                            "同じセッションがアラートの{}に認証情報を読み取っています：{p}",
                            when(c.before, true)
                        ),
                    )
                    .confirm(
                        format!("whether the secrets in {p} must be rotated"),
                        format!("{p} の秘密情報を更新（ローテーション）すべきか"),
                    ),
                );
            }
        }
        // An interactive session's own way in (a terminal shell opened in a container) is
        // not "other suspicious activity": a person entering is what made it interactive.
        let interactive = a.service_shell.is_none()
            && a.dropped_exe.is_none()
            && (a.tty || a.entry.is_some() || a.runtime.is_some());
        let others: Vec<_> = sessions
            .other_alerts(records, by_record, at, rule)
            .into_iter()
            .filter(|o| !(interactive && SESSION_ENTRY_RULES.contains(&o.rule.as_str())))
            .collect();
        if !others.is_empty() {
            kinds.push("alerts");
            let names: Vec<String> = others
                .iter()
                .take(3)
                .map(|o| format!("\"{}\"", o.rule))
                .collect();
            out.push(seen(
                "session_other_alerts",
                -(others.len().min(2) as f64),
                format!("the same session raised other alerts: {}", names.join(", ")),
                format!(
                    "同じセッションで他のアラートも発生しています：{}",
                    names.join("、")
                ),
            ));
        }
        if kinds.len() >= 2 {
            out.push(
                seen(
                    "attack_chain",
                    -1.5,
                    format!("these steps form an attack chain: {}", kinds.join(" → ")),
                    format!("一連の動作が攻撃の流れを成しています：{}", kinds.join(" → ")),
                )
                .confirm(
                    "the whole process tree of the session: isolate the workload if the chain is confirmed".into(),
                    "セッションのプロセスツリー全体。攻撃の流れが確認されたらワークロードを隔離してください".into(),
                ),
            );
        }
        if kinds.is_empty() {
            if let Some(c) = ctx
                .iter()
                .find(|c| matches!(c.activity, Activity::Maintenance(_)))
            {
                if let Activity::Maintenance(n) = &c.activity {
                    out.push(seen(
                        "session_maintenance",
                        if c.before { 1.0 } else { 0.5 },
                        format!("the same session ran the maintenance program {n} {} the alert (e.g. a package install, then cleanup)", when(c.before, false)),
                        format!("同じセッションがアラートの{}に保守プログラム {n} を実行しています（パッケージ導入後の後片付けなど）", when(c.before, true)),
                    ));
                }
            } else if interactive && others.is_empty() {
                // Stated, but weighed lightly: a quiet session is weak evidence on its own.
                out.push(seen(
                    "session_quiet",
                    0.2,
                    "no other suspicious activity in the session (no download, dropped binary, outbound connection, credential read or other alert)".to_string(),
                    "セッション内に他の不審な動作はありません（ダウンロード、持ち込まれたバイナリの実行、外部接続、認証情報の読み取り、他のアラートのいずれもなし）".to_string(),
                ));
            }
        }
        out
    }

    fn report(
        &self,
        c: &Cluster,
        records: &[Record],
        sessions: &Sessions,
        by_record: &HashMap<usize, Vec<&Alert>>,
    ) -> ClusterReport {
        let lang = self.lang;
        let rule = &c.signature.rule;
        let examined: Vec<usize> = c.members.iter().copied().take(MAX_EXAMINED).collect();
        let n = examined.len().max(1) as f64;
        // Per signal: how many members show it, the first evidence, and the effect.
        let mut agg: Vec<(Seen, usize)> = Vec::new();
        for &i in &examined {
            for s in self.signals_for(rule, records, i, sessions, by_record) {
                match agg.iter_mut().find(|(a, _)| a.signal == s.signal) {
                    Some((a, k)) => {
                        *k += 1;
                        if s.effect.abs() > a.effect.abs() {
                            a.effect = s.effect;
                        }
                    }
                    None => agg.push((s, 1)),
                }
            }
        }
        let mut reasons: Vec<(Reason, Option<String>)> = Vec::new();
        for (s, k) in agg {
            // Signals toward "real" count if any alert shows them; toward "benign" only
            // in proportion to the alerts that show them.
            let effect = if s.effect < 0.0 {
                s.effect
            } else {
                s.effect * (k as f64) / n
            };
            let mut evidence = lang.t(s.evidence_en, s.evidence_ja);
            if k < examined.len() {
                evidence.push_str(&lang.t(
                    format!(" (in {k} of {} alerts)", examined.len()),
                    format!("（{} 件中 {k} 件）", examined.len()),
                ));
            }
            let confirm = match lang {
                Lang::En => s.confirm_en,
                Lang::Ja => s.confirm_ja,
            };
            reasons.push((
                Reason {
                    signal: s.signal.to_string(),
                    evidence,
                    effect: round3(effect),
                },
                confirm,
            ));
        }
        // History.
        let p = self.history.prevalence(&c.id);
        if p.real > 0 {
            reasons.push((
                Reason {
                    signal: "history_decisions".into(),
                    evidence: lang.t(
                        format!("people marked {} past alert(s) of this cluster as real ({} as benign)", p.real, p.benign),
                        format!("このクラスタの過去のアラートのうち {} 件が実際の攻撃と判断されています（正常と判断: {} 件）", p.real, p.benign),
                    ),
                    effect: -3.0,
                },
                Some(lang.t("why earlier alerts of this cluster were judged real".into(), "以前このクラスタが攻撃と判断された理由".into())),
            ));
        } else if p.benign > 0 {
            let e = (1.0 + 0.5 * (1.0 + p.benign as f64).ln()).min(2.5);
            reasons.push((
                Reason {
                    signal: "history_decisions".into(),
                    evidence: lang.t(
                        format!("people marked {} past alert(s) of this cluster as benign, none as real", p.benign),
                        format!("このクラスタの過去のアラート {} 件が正常と判断され、攻撃と判断されたものはありません", p.benign),
                    ),
                    effect: round3(e),
                },
                None,
            ));
        } else if self.history.given && p.count >= 10 && (p.hosts >= 2 || p.span_s >= 86_400) {
            reasons.push((
                Reason {
                    signal: "prevalence".into(),
                    evidence: lang.t(
                        format!("seen {} times before on {} host(s) and {} workload(s) over {:.1} days", p.count, p.hosts, p.workloads, p.span_s as f64 / 86_400.0),
                        format!("過去に {} 回、{} ホスト・{} ワークロードで {:.1} 日にわたり発生しています", p.count, p.hosts, p.workloads, p.span_s as f64 / 86_400.0),
                    ),
                    effect: 0.6,
                },
                None,
            ));
        } else if self.history.given && p.count == 0 {
            reasons.push((
                Reason {
                    signal: "prevalence".into(),
                    evidence: lang.t(
                        format!(
                            "never seen before in the history ({} past alerts)",
                            self.history.total
                        ),
                        format!(
                            "履歴（過去のアラート {} 件）で初めて発生したクラスタです",
                            self.history.total
                        ),
                    ),
                    effect: -0.3,
                },
                None,
            ));
        }
        let logit: f64 = reasons.iter().map(|(r, _)| r.effect).sum();
        let score = round3(sigmoid(logit));
        let verdict = Verdict::from_score(score);
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
        let first = c.members.first().copied().unwrap_or(0);
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
        let summary = match lang {
            Lang::En => format!(
                "{} (score {:.2}): {action}; {} alert(s) in this cluster. Main reasons: {}. The decision is yours: quell records it and learns from it.",
                capitalise(verdict.text(lang)),
                score,
                c.members.len(),
                if why.is_empty() { "no evidence either way".to_string() } else { why.join("; ") }
            ),
            Lang::Ja => format!(
                "{}（スコア {:.2}）：{action}。このクラスタのアラートは {} 件です。主な理由：{}。最終判断は担当者が行います。quell はその判断を記録し、今後の判定に活かします。",
                verdict.text(lang),
                score,
                c.members.len(),
                if why.is_empty() { "どちらとも判断できる根拠がありません".to_string() } else { why.join("／") }
            ),
        };
        ClusterReport {
            rule: rule.clone(),
            cluster: c.id.clone(),
            alerts: c.members.len(),
            verdict,
            score,
            reasons,
            confirm,
            sample,
            summary,
            signature: c.signature.clone(),
            members: c.members.clone(),
        }
    }
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
            sig.contains(&"interactive_session") && sig.contains(&"target_sensitivity"),
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
        let alert = sample_alert(&e, "Clear Log Activities", &recs[1], "h");
        let mut past = alert.clone();
        past["quell.decision"] = json!("real");
        let hist_recs = parse_records(&past.to_string(), "hist").unwrap();
        let hist = History::build(&e, &hist_recs);
        let r = run(OPERATOR, Lang::En, &hist);
        assert_eq!(r[0].reasons[0].signal, "history_decisions");
        assert!(r[0].score < 0.5, "{:?}", r[0]);
        // A never-seen cluster with history given is nudged toward real.
        let other = parse_records(r#"{"rule":"Clear Log Activities","output_fields":{"proc.name":"x","fs.path.name":"/var/log/other"}}"#, "h").unwrap();
        let hist2 = History::build(&e, &other);
        let r2 = run(OPERATOR, Lang::En, &hist2);
        assert!(r2[0]
            .reasons
            .iter()
            .any(|r| r.signal == "prevalence" && r.effect < 0.0));
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
}
