//! # quell-assist: the deterministic assistant
//!
//! Questions in English or Japanese ("is this likely a false positive?", "write an
//! exception so that this no longer alerts", ...) recognised by a phrase table
//! ([`intent::PHRASES`]) and answered only from quell's own results: quell-triage's
//! verdict, reasons and what to confirm; its synthesis, verification and check of
//! exceptions; the rules' conditions as quell-rules compiles them; the events' timeline.
//! No model, no I/O: the `quell ask` command reads files and renders an [`Answer`].
//!
//! Every attacker-controlled string (command lines, file names, any field of an event)
//! is data: it is never matched as a question, it is escaped
//! ([`quell_events::term::escape`]) and quoted wherever an answer shows it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod intent;
pub mod model;

use std::collections::BTreeMap;

use quell_events::term::escape;
use quell_rules::engine::Engine;
use quell_rules::syntax::{Expr, Operand};
use quell_triage::catalogue::Catalogue;
use quell_triage::check::{check_named, CheckReport};
use quell_triage::emit::yaml_scalar;
use quell_triage::history::History;
use quell_triage::input::{alerts, text, Alert};
use quell_triage::synth::{emit_verified_as, synthesize, Options};
use quell_triage::verify::{describe, load_rules, RulesFile, Verification, Verifier};
use quell_triage::{ClusterReport, Lang, Record, Triage, Verdict};
use serde::Serialize;
use serde_json::{json, Value as Json};

pub use intent::{detect_lang, recognise, Intent};

/// A diagnostic: a stable code and a message (untrusted parts escaped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diag {
    /// Stable code (`ASK_...`).
    pub code: &'static str,
    /// What happened.
    pub message: String,
}

/// The selector matched no alert.
pub const ASK_SELECTOR_NO_MATCH: &str = "ASK_SELECTOR_NO_MATCH";
/// The selector is neither an alert number, a cluster id nor a condition that compiles.
pub const ASK_SELECTOR_INVALID: &str = "ASK_SELECTOR_INVALID";
/// The events hold no alert.
pub const ASK_NO_ALERTS: &str = "ASK_NO_ALERTS";
/// The rules do not load.
pub const ASK_RULES: &str = "ASK_RULES";
/// The question asks to check an exception but none was pasted.
pub const ASK_NO_EXCEPTION: &str = "ASK_NO_EXCEPTION";
/// No exception is written for a cluster triage rates likely real.
pub const ASK_EXCEPTION_REFUSED: &str = "ASK_EXCEPTION_REFUSED";
/// Synthesis found no exception that passes verification.
pub const ASK_NO_VERIFIED_EXCEPTION: &str = "ASK_NO_VERIFIED_EXCEPTION";
/// quell's bundled true-positive catalogue did not parse.
pub const ASK_KEEP: &str = "ASK_KEEP";

/// An exception in an answer: the rules-editor form (`override`), the local-file form
/// (`append: true`), each exactly as verified.
#[derive(Clone, Debug, Serialize)]
pub struct Exception {
    /// The rules-editor form: the rule name and `override: exceptions: append`.
    pub yaml: String,
    /// Its verification.
    pub verification: Verification,
    /// The local-file (legacy `append: true`) form.
    pub legacy_yaml: String,
    /// Its verification.
    pub legacy_verification: Verification,
}

/// One piece of evidence an answer rests on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// `alert`, `reason`, `event`, `rule`, `clause`, `check`.
    pub kind: &'static str,
    /// The line of the record in the events, when it is one.
    pub line: Option<usize>,
    /// What it says (untrusted parts escaped).
    pub text: String,
}

/// The answer to one question.
#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    /// What the question was recognised as.
    pub intent: Intent,
    /// The language of the answer (`en` or `ja`).
    pub lang: &'static str,
    /// The answer, for people (untrusted parts escaped and quoted).
    pub answer: String,
    /// Triage's verdict on the cluster the question is about, when there is one.
    pub verdict: Option<Json>,
    /// The exception, when the answer gives one.
    pub exception: Option<Exception>,
    /// A pasted exception's check, when the question carried one.
    pub check: Option<CheckReport>,
    /// The evidence the answer used.
    pub evidence: Vec<Evidence>,
    /// Diagnostics.
    pub diagnostics: Vec<Diag>,
}

/// A question and what it is about.
pub struct Question<'a> {
    /// The question as typed; a YAML block may follow it (from a line starting with
    /// `- rule:` or a code fence on).
    pub text: &'a str,
    /// SELECTOR: an alert number (1-based, in order of the events), a cluster id, or a
    /// condition such as `proc.cmdline="rm /var/log/dpkg.log"`.
    pub about: Option<&'a str>,
    /// The answer's language; `None`: the question's.
    pub lang: Option<Lang>,
}

/// What questions are answered from.
pub struct Assistant<'a> {
    /// The rules files, in load order.
    pub rules: &'a [RulesFile],
    /// The events or alerts (a recording or Falco JSON alert lines).
    pub records: &'a [Record],
    /// The host name samples built from events carry.
    pub hostname: &'a str,
}

fn t(lang: Lang, en: impl Into<String>, ja: impl Into<String>) -> String {
    match lang {
        Lang::En => en.into(),
        Lang::Ja => ja.into(),
    }
}

/// What a store gives the assistant besides its records (`quell serve`'s
/// `POST /api/v1/assistant`): the subject already chosen, people's decisions, the rule's
/// history, the counts of alerts per rule. With it the records are only the subject's
/// (each stored alert with the session starts its event context carries), so that an answer
/// costs what the subject costs, not what the store holds. [`Stored::default`] is the
/// file path's behaviour (`quell ask --events`).
#[derive(Default)]
pub struct Stored<'a> {
    /// The subject: indices into [`Assistant::records`] of its alerts, and how it was
    /// chosen (shown in the answer, e.g. `alert 42`). `None`: `Question::about` picks it
    /// among the records.
    pub subject: Option<(Vec<usize>, String)>,
    /// The rules already loaded from [`Assistant::rules`] (else they are loaded per question).
    pub engine: Option<&'a Engine>,
    /// Triage's history: people's decisions (else none).
    pub decisions: Option<&'a History>,
    /// The past alerts exceptions are verified against (blast radius) and what they are,
    /// for the exception's provenance (else the records).
    pub history: Option<(&'a [Record], String)>,
    /// Alerts per rule, most first (at most ten are shown), and the total of alerts stored
    /// (else counted over the records).
    pub rule_counts: Option<(Vec<(String, u64)>, u64)>,
}

/// The rule a compiled selector holds ([`compile_selector`]).
pub const SELECTOR_RULE: &str = "quell-ask selector";

/// A selector's condition (`proc.cmdline="rm /var/log/dpkg.log"`) compiled by quell-rules
/// as a rule of its own, [`SELECTOR_RULE`]; else the first error (code and message).
pub fn compile_selector(sel: &str) -> Result<Engine, String> {
    let mut e = Engine::new();
    let text = format!(
        "- rule: {SELECTOR_RULE}\n  desc: selector\n  condition: {}\n  output: selector\n  priority: INFO\n",
        yaml_scalar(sel, false)
    );
    let res = e.load("--about", &text);
    if res.errors.is_empty() && e.rule(SELECTOR_RULE).is_some() {
        Ok(e)
    } else {
        Err(res
            .errors
            .first()
            .map(|d| format!("{}: {}", d.code.name(), d.message))
            .unwrap_or_default())
    }
}

/// Splits a question from a YAML block pasted after it.
pub fn split_pasted(q: &str) -> (&str, Option<String>) {
    let mut offset = 0;
    for line in q.split_inclusive('\n') {
        let l = line.trim_start();
        if l.starts_with("- rule:") || l.starts_with("```") {
            let block = &q[offset..];
            let yaml: String = block
                .lines()
                .filter(|l| !l.trim_start().starts_with("```"))
                .map(|l| format!("{l}\n"))
                .collect();
            return (&q[..offset], Some(yaml));
        }
        offset += line.len();
    }
    (q, None)
}

/// The subject of a question: alerts (indices into the alert list) and how they were chosen.
struct Subject {
    alerts: Vec<usize>,
    how: String,
}

struct Ctx<'a> {
    a: &'a Assistant<'a>,
    st: &'a Stored<'a>,
    lang: Lang,
    engine: std::borrow::Cow<'a, Engine>,
    alerts: Vec<Alert>,
    reports: Option<Vec<ClusterReport>>,
    diags: Vec<Diag>,
    evidence: Vec<Evidence>,
}

impl Assistant<'_> {
    /// Answers a question. Never fails: problems are diagnostics in the answer.
    pub fn ask(&self, q: &Question<'_>) -> Answer {
        self.ask_stored(q, &Stored::default())
    }

    /// [`Assistant::ask`] with what a store gives ([`Stored`]): the same intents, the same
    /// answers, from the subject the store picked, its decisions, history and counts.
    pub fn ask_stored(&self, q: &Question<'_>, st: &Stored<'_>) -> Answer {
        let (question, pasted) = split_pasted(q.text);
        let (mut intent, _) = recognise(question);
        if intent == Intent::Unknown && pasted.is_some() {
            intent = Intent::CheckException;
        }
        self.answer_stored(intent, q, st)
    }

    /// Answers a question as `intent`, recognition skipped (the MCP server's tools know
    /// what they ask). Never fails: problems are diagnostics in the answer.
    pub fn answer(&self, intent: Intent, q: &Question<'_>) -> Answer {
        self.answer_stored(intent, q, &Stored::default())
    }

    /// [`Assistant::answer`] with what a store gives ([`Stored`]).
    pub fn answer_stored(&self, intent: Intent, q: &Question<'_>, st: &Stored<'_>) -> Answer {
        let (question, pasted) = split_pasted(q.text);
        let lang = q.lang.unwrap_or_else(|| detect_lang(question));
        let mut answer = Answer {
            intent,
            lang: match lang {
                Lang::En => "en",
                Lang::Ja => "ja",
            },
            answer: String::new(),
            verdict: None,
            exception: None,
            check: None,
            evidence: Vec::new(),
            diagnostics: Vec::new(),
        };
        let engine = match st.engine {
            Some(e) => Ok(std::borrow::Cow::Borrowed(e)),
            None => load_rules(self.rules).map(std::borrow::Cow::Owned),
        };
        let engine = match engine {
            Ok(e) => e,
            Err(e) => {
                answer.diagnostics.push(Diag {
                    code: ASK_RULES,
                    message: escape(&e.to_string()).into_owned(),
                });
                answer.answer = t(lang, "The rules do not load.", "ルールを読み込めません。");
                return answer;
            }
        };
        let all = alerts(&engine, self.records);
        let mut cx = Ctx {
            a: self,
            st,
            lang,
            engine,
            alerts: all,
            reports: None,
            diags: Vec::new(),
            evidence: Vec::new(),
        };
        let text = match intent {
            Intent::Unknown => unknown(lang),
            Intent::TopRules => cx.top_rules(),
            Intent::RuleDetects => cx.rule_detects(question, q.about),
            Intent::CheckException => match &pasted {
                Some(y) => cx.check(y, q.about, &mut answer),
                None => {
                    cx.diags.push(Diag {
                        code: ASK_NO_EXCEPTION,
                        message: t(lang, "no exception was pasted after the question (start it with `- rule:`)", "質問の後に例外が貼り付けられていません（`- rule:` から始めてください）"),
                    });
                    t(lang, "Paste the exception after the question, starting with `- rule:`; quell checks it as `quell tune --check` does.", "質問の後に `- rule:` から始まる例外を貼り付けてください。`quell tune --check` と同じ検査をします。")
                }
            },
            _ => match cx.subject(q.about) {
                None => t(
                    lang,
                    "Nothing to answer about: see the diagnostics.",
                    "対象のアラートがありません。診断を参照してください。",
                ),
                Some(s) => match intent {
                    Intent::FalsePositive => cx.false_positive(&s, &mut answer),
                    Intent::NextSteps => cx.next_steps(&s, &mut answer),
                    Intent::WhyFired => cx.why_fired(&s),
                    Intent::Timeline => cx.timeline(&s),
                    Intent::WriteException => cx.write_exception(&s, &mut answer, false),
                    Intent::Silence => match &pasted {
                        Some(y) => cx.check(y, q.about, &mut answer),
                        None => cx.write_exception(&s, &mut answer, true),
                    },
                    _ => unknown(lang),
                },
            },
        };
        answer.answer = text;
        answer.evidence = cx.evidence;
        answer.diagnostics.extend(cx.diags);
        answer
    }
}

fn unknown(lang: Lang) -> String {
    let mut s = t(
        lang,
        "quell did not recognise the question. It answers these questions, from its own results:\n",
        "質問を認識できませんでした。quell が自身の結果から答えられる質問は次のとおりです：\n",
    );
    for i in Intent::ANSWERABLE {
        s.push_str("  - ");
        s.push_str(i.help(lang));
        s.push('\n');
    }
    s
}

fn verdict_json(r: &ClusterReport, lang: Lang) -> Json {
    json!({
        "cluster": r.cluster,
        "rule": r.rule,
        "alerts": r.alerts,
        "verdict": r.verdict.as_str(),
        "text": r.verdict.text(lang),
        "score": r.score,
        "reasons": r.reasons,
        "confirm": r.confirm,
    })
}

impl<'a> Ctx<'a> {
    fn reports(&mut self) -> &[ClusterReport] {
        if self.reports.is_none() {
            let cat = Catalogue::builtin();
            let empty = History::empty();
            let tr = Triage {
                engine: &self.engine,
                catalogue: &cat,
                history: self.st.decisions.unwrap_or(&empty),
                lang: self.lang,
                hostname: self.a.hostname,
            };
            self.reports = Some(tr.run(self.a.records));
        }
        self.reports.as_deref().unwrap_or_default()
    }

    fn diag(&mut self, code: &'static str, en: String, ja: String) {
        let message = t(self.lang, en, ja);
        self.diags.push(Diag { code, message });
    }

    /// The alerts the selector picks (the first alert without one).
    fn subject(&mut self, about: Option<&str>) -> Option<Subject> {
        if self.alerts.is_empty() {
            self.diag(
                ASK_NO_ALERTS,
                "the events hold no alert".into(),
                "イベントにアラートがありません".into(),
            );
            return None;
        }
        if let Some((picked, how)) = &self.st.subject {
            // Record indices to alert indices.
            let alerts: Vec<usize> = (0..self.alerts.len())
                .filter(|&i| picked.contains(&self.alerts[i].index))
                .collect();
            if alerts.is_empty() {
                self.diag(
                    ASK_SELECTOR_NO_MATCH,
                    format!("{how}: no alert"),
                    format!("{how}：アラートがありません"),
                );
                return None;
            }
            return Some(Subject {
                alerts,
                how: how.clone(),
            });
        }
        let Some(sel) = about.map(str::trim) else {
            return Some(Subject {
                alerts: vec![0],
                how: t(
                    self.lang,
                    "no --about given: the first alert",
                    "--about の指定なし：最初のアラート",
                ),
            });
        };
        if let Ok(n) = sel.parse::<usize>() {
            if n >= 1 && n <= self.alerts.len() {
                return Some(Subject {
                    alerts: vec![n - 1],
                    how: t(self.lang, format!("alert {n}"), format!("アラート {n}")),
                });
            }
            self.diag(
                ASK_SELECTOR_NO_MATCH,
                format!(
                    "there is no alert {n} (the events hold {} alerts)",
                    self.alerts.len()
                ),
                format!(
                    "アラート {n} はありません（アラートは {} 件）",
                    self.alerts.len()
                ),
            );
            return None;
        }
        if sel.len() == 12 && sel.chars().all(|c| c.is_ascii_hexdigit()) {
            let members: Option<Vec<usize>> = self
                .reports()
                .iter()
                .find(|r| r.cluster == sel)
                .map(|r| r.members.clone());
            if let Some(m) = members {
                let picked: Vec<usize> = (0..self.alerts.len())
                    .filter(|&i| m.contains(&self.alerts[i].index))
                    .collect();
                if !picked.is_empty() {
                    return Some(Subject {
                        alerts: picked,
                        how: t(
                            self.lang,
                            format!("cluster {sel}"),
                            format!("クラスタ {sel}"),
                        ),
                    });
                }
            }
        }
        // A condition, compiled by quell-rules as a rule of its own.
        let e = match compile_selector(sel) {
            Ok(e) => e,
            Err(why) => {
                self.diag(
                    ASK_SELECTOR_INVALID,
                    format!(
                        "--about {}: not an alert number, a cluster id or a condition ({})",
                        quote(sel),
                        escape(&why)
                    ),
                    format!(
                        "--about {}：アラート番号・クラスタ ID・条件のいずれでもありません（{}）",
                        quote(sel),
                        escape(&why)
                    ),
                );
                return None;
            }
        };
        let rule = e.rule(SELECTOR_RULE)?;
        let picked: Vec<usize> = (0..self.alerts.len())
            .filter(|&i| rule.matches(&self.a.records[self.alerts[i].index].event))
            .collect();
        if picked.is_empty() {
            self.diag(
                ASK_SELECTOR_NO_MATCH,
                format!("--about {} matches no alert", quote(sel)),
                format!("--about {} に一致するアラートはありません", quote(sel)),
            );
            return None;
        }
        Some(Subject {
            alerts: picked,
            how: t(
                self.lang,
                format!("the alerts where {}", quote(sel)),
                format!("{} のアラート", quote(sel)),
            ),
        })
    }

    /// The past alerts exceptions are verified against: the store's, else the records.
    fn history(&self) -> &'a [Record] {
        match &self.st.history {
            Some((h, _)) => h,
            None => self.a.records,
        }
    }

    fn record(&self, alert: usize) -> &Record {
        &self.a.records[self.alerts[alert].index]
    }

    /// The cluster report holding the subject's first alert.
    fn report_of(&mut self, s: &Subject) -> Option<ClusterReport> {
        let idx = self.alerts[s.alerts[0]].index;
        let rule = self.alerts[s.alerts[0]].rule.clone();
        self.reports()
            .iter()
            .find(|r| r.rule == rule && r.members.contains(&idx))
            .cloned()
    }

    fn subject_header(&mut self, s: &Subject) -> String {
        let a = &self.alerts[s.alerts[0]];
        let r = self.record(s.alerts[0]);
        let d = describe(r);
        let rule = escape(&a.rule).into_owned();
        self.evidence.push(Evidence {
            kind: "alert",
            line: Some(r.line),
            text: format!("\"{rule}\": {d}"),
        });
        t(
            self.lang,
            format!(
                "About {} ({} alert(s)): rule \"{rule}\", {d}\n",
                s.how,
                s.alerts.len()
            ),
            format!(
                "対象：{}（{} 件のアラート）：ルール \"{rule}\"、{d}\n",
                s.how,
                s.alerts.len()
            ),
        )
    }

    fn verdict_text(&mut self, r: &ClusterReport) -> String {
        let lang = self.lang;
        let mut s = t(
            lang,
            format!(
                "Verdict: {} (score {:.2}) for cluster {} ({} alert(s)).\n",
                r.verdict.text(lang),
                r.score,
                r.cluster,
                r.alerts
            ),
            format!(
                "判定：{}（スコア {:.2}）、クラスタ {}（{} 件のアラート）。\n",
                r.verdict.text(lang),
                r.score,
                r.cluster,
                r.alerts
            ),
        );
        s.push_str(&t(
            lang,
            "Reasons (effect on the log-odds of a false positive):\n",
            "理由（誤検知である対数オッズへの影響）：\n",
        ));
        for reason in &r.reasons {
            let ev = escape(&reason.evidence);
            s.push_str(&format!(
                "  {:+.2} {}: {ev}\n",
                reason.effect, reason.signal
            ));
            self.evidence.push(Evidence {
                kind: "reason",
                line: None,
                text: format!("{} {:+.2}: {ev}", reason.signal, reason.effect),
            });
        }
        s
    }

    fn false_positive(&mut self, s: &Subject, out: &mut Answer) -> String {
        let mut text = self.subject_header(s);
        match self.report_of(s) {
            Some(r) => {
                out.verdict = Some(verdict_json(&r, self.lang));
                text.push_str(&self.verdict_text(&r));
                text.push_str(&t(self.lang, "To confirm:\n", "確認事項：\n"));
                for c in &r.confirm {
                    text.push_str(&format!("  - {}\n", escape(c)));
                }
                text.push_str(&t(
                    self.lang,
                    "The score weighs the evidence quell saw; it is not a proof. The decision is a person's.\n",
                    "スコアは quell が確認できた根拠の重み付けであり、証明ではありません。最終判断は担当者が行います。\n",
                ));
            }
            None => text.push_str(&t(
                self.lang,
                "Triage has no cluster for this alert.\n",
                "このアラートのクラスタがトリアージにありません。\n",
            )),
        }
        text
    }

    fn next_steps(&mut self, s: &Subject, out: &mut Answer) -> String {
        let mut text = self.subject_header(s);
        if let Some(r) = self.report_of(s) {
            out.verdict = Some(verdict_json(&r, self.lang));
            text.push_str(&t(
                self.lang,
                format!(
                    "Triage rates it {} (score {:.2}). Check next:\n",
                    r.verdict.text(self.lang),
                    r.score
                ),
                format!(
                    "トリアージの判定は {}（スコア {:.2}）。次に確認すべきこと：\n",
                    r.verdict.text(self.lang),
                    r.score
                ),
            ));
            for c in &r.confirm {
                text.push_str(&format!("  - {}\n", escape(c)));
                self.evidence.push(Evidence {
                    kind: "reason",
                    line: None,
                    text: escape(c).into_owned(),
                });
            }
            if r.confirm.is_empty() {
                text.push_str(&t(
                    self.lang,
                    "  (triage lists nothing to confirm)\n",
                    "  （トリアージに確認事項はありません）\n",
                ));
            }
        }
        text
    }

    fn why_fired(&mut self, s: &Subject) -> String {
        let mut text = self.subject_header(s);
        let rule_name = self.alerts[s.alerts[0]].rule.clone();
        let r = self.record(s.alerts[0]).clone();
        let Some(rule) = self.engine.rule(&rule_name).cloned() else {
            text.push_str(&t(
                self.lang,
                "The rule is not in the rules loaded.\n",
                "このルールは読み込んだルールにありません。\n",
            ));
            return text;
        };
        text.push_str(&t(
            self.lang,
            format!(
                "Condition (macros and lists expanded): {}\nClause by clause, on this event:\n",
                escape(&rule.condition_compiled)
            ),
            format!(
                "条件（マクロ・リスト展開後）：{}\n句ごとの評価（このイベント）：\n",
                escape(&rule.condition_compiled)
            ),
        ));
        let clauses: Vec<&Expr> = match &rule.expr {
            Expr::And(v) => v.iter().collect(),
            other => vec![other],
        };
        // An alert line carries only its rule's output fields: a clause false only for want
        // of a field the line does not carry is not evaluated, not false.
        let alert_line = r.rule.is_some();
        if alert_line {
            text.push_str(&t(
                self.lang,
                "(An alert line carries only the rule's output fields: a clause over a field it does not carry is not evaluated.)\n",
                "（アラート行はルールの出力フィールドしか持たないため、持たないフィールドを使う句は評価できません。）\n",
            ));
        }
        let mark = |e: &Expr| -> Option<bool> {
            if alert_line {
                eval3(e, &r)
            } else {
                clause_holds(&e.to_string(), &r)
            }
        };
        for c in clauses {
            let ctext = c.to_string();
            let held = mark(c);
            let fields = clause_fields(c);
            let vals: Vec<String> = fields
                .iter()
                .take(6)
                .map(|k| match text_of(&r, k) {
                    Some(v) => format!("{k}={}", quote(&v)),
                    None => format!("{k}={}", t(self.lang, "(absent)", "（なし）")),
                })
                .collect();
            let verdict = held_mark(held, self.lang);
            let line = format!("  [{verdict}] {}  <- {}\n", escape(&ctext), vals.join(", "));
            self.evidence.push(Evidence {
                kind: "clause",
                line: Some(r.line),
                text: line.trim().to_string(),
            });
            text.push_str(&line);
            // An `or` clause: which alternative held.
            if let Expr::Or(alts) = c {
                for alt in alts {
                    let at = alt.to_string();
                    let m = held_mark(mark(alt), self.lang);
                    text.push_str(&format!("      [{m}] {}\n", escape(&at)));
                }
            }
        }
        if !rule.exception_fields.is_empty() {
            let f: Vec<&str> = rule.exception_fields.iter().map(String::as_str).collect();
            text.push_str(&t(
                self.lang,
                format!(
                    "The rule's exceptions (over {}) did not apply: none matched this event.\n",
                    f.join(", ")
                ),
                format!(
                    "ルールの例外（{}）はこのイベントに一致せず、適用されませんでした。\n",
                    f.join(", ")
                ),
            ));
        }
        text
    }

    fn timeline(&mut self, s: &Subject) -> String {
        let mut text = self.subject_header(s);
        let r = self.record(s.alerts[0]).clone();
        let Some(key) = quell_triage::session::key(&r) else {
            text.push_str(&t(
                self.lang,
                "The alert carries no session id (proc.sid): no timeline can be drawn.\n",
                "アラートにセッション ID（proc.sid）がなく、時系列を作れません。\n",
            ));
            return text;
        };
        let alert_rules: BTreeMap<usize, &str> = self
            .alerts
            .iter()
            .map(|a| (a.index, a.rule.as_str()))
            .collect();
        let t0 = quell_triage::input::time_ns(&r.event);
        text.push_str(&t(
            self.lang,
            "Timeline of the session (process starts and alerts, in order):\n",
            "セッションの時系列（プロセスの開始とアラート、順に）：\n",
        ));
        let mut shown = 0usize;
        let mut lines = Vec::new();
        for (i, rec) in self.a.records.iter().enumerate() {
            if quell_triage::session::key(rec).as_deref() != Some(key.as_str()) {
                continue;
            }
            let alert = alert_rules.get(&i).copied();
            let is_exec =
                quell_triage::input::text(&rec.event, "evt.type").as_deref() == Some("execve");
            if alert.is_none() && !is_exec {
                continue;
            }
            shown += 1;
            if shown > 60 {
                continue;
            }
            let when = match (quell_triage::input::time_ns(&rec.event), t0) {
                (Some(a), Some(b)) => format!("{:+.3}s", (a as f64 - b as f64) / 1e9),
                _ => "?".into(),
            };
            let mut l = format!("  {when}  {}", describe(rec));
            if let Some(rule) = alert {
                l.push_str(&t(
                    self.lang,
                    format!("  ALERT \"{}\"", escape(rule)),
                    format!("  アラート \"{}\"", escape(rule)),
                ));
            }
            if i == self.alerts[s.alerts[0]].index {
                l.push_str(&t(self.lang, "  <- this alert", "  ← このアラート"));
            }
            lines.push((rec.line, l));
        }
        for (line, l) in lines {
            self.evidence.push(Evidence {
                kind: "event",
                line: Some(line),
                text: l.trim().to_string(),
            });
            text.push_str(&l);
            text.push('\n');
        }
        if shown > 60 {
            text.push_str(&t(
                self.lang,
                format!("  ... {} more\n", shown - 60),
                format!("  ……ほか {} 件\n", shown - 60),
            ));
        }
        text
    }

    fn write_exception(&mut self, s: &Subject, out: &mut Answer, blast: bool) -> String {
        let lang = self.lang;
        let mut text = self.subject_header(s);
        let Some(r) = self.report_of(s) else {
            text.push_str(&t(
                lang,
                "Triage has no cluster for this alert.\n",
                "このアラートのクラスタがトリアージにありません。\n",
            ));
            return text;
        };
        out.verdict = Some(verdict_json(&r, lang));
        if r.verdict == Verdict::LikelyReal {
            text.push_str(&self.verdict_text(&r));
            self.diag(
                ASK_EXCEPTION_REFUSED,
                format!(
                    "cluster {} is rated likely real: quell writes no exception for it",
                    r.cluster
                ),
                format!(
                    "クラスタ {} は実際の攻撃の可能性が高いため、例外は作成しません",
                    r.cluster
                ),
            );
            text.push_str(&t(
                lang,
                "quell writes no exception for a cluster it rates likely real. If a person judged these events benign, give them to `quell tune --benign` (the decision is recorded there).\n",
                "実際の攻撃の可能性が高いクラスタには例外を作成しません。担当者が良性と判断した場合は、そのイベントを `quell tune --benign` に渡してください。\n",
            ));
            return text;
        }
        let keep = match quell_triage::keep::true_positives() {
            Ok(k) => k,
            Err(e) => {
                self.diag(ASK_KEEP, e.to_string(), e.to_string());
                return text;
            }
        };
        let benign: Vec<Record> = r
            .members
            .iter()
            .map(|&i| self.a.records[i].clone())
            .collect();
        let history = self.history();
        let vf = match Verifier::new(self.a.rules, &r.rule, &benign, &keep, history) {
            Ok(v) => v,
            Err(e) => {
                self.diag(
                    ASK_NO_VERIFIED_EXCEPTION,
                    escape(&e.to_string()).into_owned(),
                    escape(&e.to_string()).into_owned(),
                );
                return text;
            }
        };
        let opts = Options {
            legacy: false,
            provenance: vec![
                format!(
                    "benign: cluster {} ({} alert(s)), triaged {}",
                    r.cluster,
                    r.alerts,
                    r.verdict.as_str()
                ),
                format!(
                    "keep: quell's true-positive catalogue ({} events)",
                    keep.len()
                ),
                match &self.st.history {
                    Some((_, what)) => format!("history: {what}"),
                    None => format!(
                        "history: the {} record(s) the question was asked over",
                        self.a.records.len()
                    ),
                },
                "generated by quell ask".into(),
            ],
            max_alternatives: 0,
        };
        let p = match synthesize(&vf, &opts) {
            Ok(p) if p.best.verification.passed => p,
            Ok(_) | Err(_) => {
                self.diag(
                    ASK_NO_VERIFIED_EXCEPTION,
                    format!("no exception for cluster {} passes verification", r.cluster),
                    format!("クラスタ {} について検証を通る例外がありません", r.cluster),
                );
                text.push_str(&t(
                    lang,
                    "No exception passes verification; none is shown.\n",
                    "検証を通る例外がないため、表示しません。\n",
                ));
                return text;
            }
        };
        let (legacy_yaml, legacy_verification) = emit_verified_as(
            &vf,
            &p.best.exceptions,
            &Options {
                legacy: true,
                ..opts
            },
            &p.best.verification,
        );
        let v = p.best.verification.clone();
        if !blast {
            text.push_str(&t(
                lang,
                format!(
                    "Triage rates it {} (score {:.2}).\n",
                    r.verdict.text(lang),
                    r.score
                ),
                format!(
                    "トリアージの判定：{}（スコア {:.2}）。\n",
                    r.verdict.text(lang),
                    r.score
                ),
            ));
            if r.verdict != Verdict::LikelyFalsePositive {
                text.push_str(&t(lang, "The verdict is not \"likely false positive\": load this only if a person judged the events benign.\n", "判定は「誤検知の可能性が高い」ではありません。担当者が良性と判断した場合にのみ読み込んでください。\n"));
            }
            text.push_str(&t(
                lang,
                "A verified exception (rules-editor form, loaded after the rules):\n",
                "検証済みの例外（ルールエディタ形式、ルールの後に読み込み）：\n",
            ));
            text.push_str(&p.best.yaml);
            text.push_str(&t(
                lang,
                "\nThe same for a local rules file (legacy `append: true` form):\n",
                "\nローカルルールファイル用（従来の `append: true` 形式）：\n",
            ));
            text.push_str(&legacy_yaml);
            text.push('\n');
        }
        text.push_str(&self.verification_text(&v));
        out.exception = Some(Exception {
            yaml: p.best.yaml.clone(),
            verification: v,
            legacy_yaml,
            legacy_verification,
        });
        text
    }

    fn verification_text(&mut self, v: &Verification) -> String {
        let lang = self.lang;
        let b = &v.blast_radius;
        let mut s = t(
            lang,
            format!(
                "Verification: loads {}; benign silenced {} of {}; keep still alerting {} of {}; blast radius: silences {} of {} past alert(s) of the rule ({} outside the benign set, {} likely real or uncertain); passed: {}\n",
                if v.loads { "yes" } else { "no" }, v.benign_silenced, v.benign_total, v.keep_alerting, v.keep_total,
                b.silenced, b.history_alerts, b.outside_benign_set, b.blocking, if v.passed { "yes" } else { "no" }
            ),
            format!(
                "検証：読み込み {}／良性イベントの抑止 {}/{}／維持すべきアラート {}/{}／影響範囲：ルールの過去のアラート {} 件中 {} 件を抑止（良性セット外 {} 件、実際の攻撃または判断保留 {} 件）／合格 {}\n",
                if v.loads { "可" } else { "不可" }, v.benign_silenced, v.benign_total, v.keep_alerting, v.keep_total,
                b.history_alerts, b.silenced, b.outside_benign_set, b.blocking, if v.passed { "はい" } else { "いいえ" }
            ),
        );
        for c in &b.clusters {
            for e in &c.examples {
                let line = t(
                    lang,
                    format!("  silences ({}): {e}\n", c.cluster),
                    format!("  抑止（{}）：{e}\n", c.cluster),
                );
                self.evidence.push(Evidence {
                    kind: "check",
                    line: None,
                    text: line.trim().to_string(),
                });
                s.push_str(&line);
            }
        }
        for m in v.mutations.iter().filter(|m| m.silenced) {
            s.push_str(&t(
                lang,
                format!(
                    "  also silences the near-attack {}: {}\n",
                    m.kind, m.description
                ),
                format!("  近い攻撃 {} も抑止：{}\n", m.kind, m.description),
            ));
        }
        s
    }

    fn check(&mut self, yaml: &str, about: Option<&str>, out: &mut Answer) -> String {
        let lang = self.lang;
        let benign: Vec<Record> = match about {
            Some(_) => match self.subject(about) {
                Some(s) => s.alerts.iter().map(|&i| self.record(i).clone()).collect(),
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        let keep = match quell_triage::keep::true_positives() {
            Ok(k) => k,
            Err(e) => {
                self.diag(ASK_KEEP, e.to_string(), e.to_string());
                return String::new();
            }
        };
        let rep = match check_named(
            self.a.rules,
            "pasted.yaml",
            yaml,
            &benign,
            &keep,
            self.history(),
        ) {
            Ok(r) => r,
            Err(e) => {
                self.diag(
                    ASK_RULES,
                    escape(&e.to_string()).into_owned(),
                    escape(&e.to_string()).into_owned(),
                );
                return t(lang, "The rules do not load.", "ルールを読み込めません。");
            }
        };
        let mut s = if rep.ok {
            t(
                lang,
                "The pasted exception loads and passes verification.\n",
                "貼り付けた例外は読み込め、検証に合格しました。\n",
            )
        } else {
            t(
                lang,
                "The pasted exception has problems:\n",
                "貼り付けた例外には問題があります：\n",
            )
        };
        for p in &rep.problems {
            let l = t(
                lang,
                format!("  - {}\n    fix: {}\n", escape(&p.what), escape(&p.fix)),
                format!("  - {}\n    修正：{}\n", escape(&p.what), escape(&p.fix)),
            );
            self.evidence.push(Evidence {
                kind: "check",
                line: None,
                text: escape(&p.what).into_owned(),
            });
            s.push_str(&l);
        }
        for rc in &rep.rules {
            if let Some(v) = &rc.verification {
                s.push_str(&t(
                    lang,
                    format!("As written, for rule \"{}\":\n", escape(&rc.rule)),
                    format!("書かれたとおり（ルール \"{}\"）：\n", escape(&rc.rule)),
                ));
                let vt = self.verification_text(v);
                s.push_str(&vt);
            }
            if let Some(c) = &rc.corrected {
                s.push_str(&t(
                    lang,
                    format!("Corrected ({}):\n", escape(&c.how)),
                    format!("修正版（{}）：\n", escape(&c.how)),
                ));
                s.push_str(&c.yaml);
                s.push('\n');
                let vt = self.verification_text(&c.verification);
                s.push_str(&vt);
                if out.exception.is_none() {
                    out.exception = Some(Exception {
                        yaml: c.yaml.clone(),
                        verification: c.verification.clone(),
                        legacy_yaml: String::new(),
                        legacy_verification: Verification::default(),
                    });
                }
            }
        }
        out.check = Some(rep);
        s
    }

    fn top_rules(&mut self) -> String {
        let lang = self.lang;
        let (v, total): (Vec<(String, u64)>, u64) = match &self.st.rule_counts {
            Some((v, total)) => (v.clone(), *total),
            None => {
                let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
                for a in &self.alerts {
                    *counts.entry(a.rule.as_str()).or_default() += 1;
                }
                let mut v: Vec<(String, u64)> = counts
                    .into_iter()
                    .map(|(r, n)| (r.to_string(), n))
                    .collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                (v, self.alerts.len() as u64)
            }
        };
        let mut s = t(
            lang,
            format!(
                "{total} alert(s) of {} rule(s) in the events; most first:\n",
                v.len()
            ),
            format!(
                "イベント中のアラート {total} 件（{} ルール）、多い順：\n",
                v.len()
            ),
        );
        let mut ev = Vec::new();
        for (rule, n) in v.iter().take(10) {
            let l = format!("  {n:>6}  \"{}\"\n", escape(rule));
            ev.push(Evidence {
                kind: "rule",
                line: None,
                text: l.trim().to_string(),
            });
            s.push_str(&l);
        }
        self.evidence.extend(ev);
        s
    }

    fn rule_detects(&mut self, question: &str, about: Option<&str>) -> String {
        let lang = self.lang;
        let lower = question.to_lowercase();
        let named = self
            .engine
            .rules()
            .iter()
            .filter(|r| lower.contains(&r.name.to_lowercase()))
            .max_by_key(|r| r.name.len())
            .map(|r| r.name.clone());
        let name = match named {
            Some(n) => n,
            None => match self.subject(about) {
                Some(s) => self.alerts[s.alerts[0]].rule.clone(),
                None => {
                    return t(
                        lang,
                        "Name the rule in the question, or give --about.",
                        "質問でルール名を挙げるか、--about を指定してください。",
                    )
                }
            },
        };
        let Some(rule) = self.engine.rule(&name).cloned() else {
            return t(
                lang,
                format!(
                    "The rule \"{}\" is not in the rules loaded.\n",
                    escape(&name)
                ),
                format!(
                    "ルール \"{}\" は読み込んだルールにありません。\n",
                    escape(&name)
                ),
            );
        };
        let n = match &self.st.rule_counts {
            Some((v, _)) => v.iter().find(|(r, _)| *r == name).map_or(0, |(_, n)| *n),
            None => self.alerts.iter().filter(|a| a.rule == name).count() as u64,
        };
        self.evidence.push(Evidence {
            kind: "rule",
            line: None,
            text: escape(&rule.name).into_owned(),
        });
        t(
            lang,
            format!(
                "Rule \"{}\" ({:?}, tags: {}):\n  {}\n  condition: {}\n  {} alert(s) of it in the events.\n",
                escape(&rule.name), rule.priority, rule.tags.join(", "), escape(&rule.desc), escape(&rule.condition_compiled), n
            ),
            format!(
                "ルール \"{}\"（{:?}、タグ：{}）：\n  {}\n  条件：{}\n  イベント中のアラート {} 件。\n",
                escape(&rule.name), rule.priority, rule.tags.join(", "), escape(&rule.desc), escape(&rule.condition_compiled), n
            ),
        )
    }
}

/// A value quoted for an answer: escaped and in backticks.
fn quote(s: &str) -> String {
    let short: String = s.chars().take(160).collect();
    format!("`{}`", escape(&short).replace('`', "\\u{60}"))
}

fn text_of(r: &Record, key: &str) -> Option<String> {
    text(&r.event, key)
}

/// A clause's outcome in words.
/// A condition on an alert line, with three values: `None` where it reads a field the line
/// does not carry (and nothing else decides it): `and` is false when one part is, `or` true
/// when one part is, `not` of an unknown is unknown; a check over present fields is
/// compiled and evaluated by quell-rules.
fn eval3(e: &Expr, r: &Record) -> Option<bool> {
    match e {
        Expr::And(v) => {
            let parts: Vec<Option<bool>> = v.iter().map(|x| eval3(x, r)).collect();
            if parts.contains(&Some(false)) {
                Some(false)
            } else if parts.iter().all(|p| *p == Some(true)) {
                Some(true)
            } else {
                None
            }
        }
        Expr::Or(v) => {
            let parts: Vec<Option<bool>> = v.iter().map(|x| eval3(x, r)).collect();
            if parts.contains(&Some(true)) {
                Some(true)
            } else if parts.iter().all(|p| *p == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
        Expr::Not(x) => eval3(x, r).map(|b| !b),
        leaf => {
            if clause_fields(leaf).iter().any(|k| text_of(r, k).is_none()) {
                None
            } else {
                clause_holds(&leaf.to_string(), r)
            }
        }
    }
}

/// The fields a clause reads (`name` or `name[arg]`), in order, once each.
fn clause_fields(e: &Expr) -> Vec<String> {
    let mut fields = Vec::new();
    e.walk_checks(&mut |chk| {
        if let Operand::Field { name, arg, .. } = &chk.lhs {
            let key = match arg {
                Some(a) => format!("{name}[{a}]"),
                None => name.clone(),
            };
            if !fields.contains(&key) {
                fields.push(key);
            }
        }
    });
    fields
}

fn held_mark(held: Option<bool>, lang: Lang) -> &'static str {
    match (held, lang) {
        (Some(true), Lang::En) => "true",
        (Some(false), Lang::En) => "false",
        (None, Lang::En) => "not evaluated",
        (Some(true), Lang::Ja) => "真",
        (Some(false), Lang::Ja) => "偽",
        (None, Lang::Ja) => "評価できず",
    }
}

/// Whether one clause of a condition holds on a record: the clause compiled by
/// quell-rules as a rule of its own. `None` when it does not compile alone.
fn clause_holds(clause: &str, r: &Record) -> Option<bool> {
    let mut e = Engine::new();
    let text = format!(
        "- rule: quell-ask clause\n  desc: clause\n  condition: {}\n  output: clause\n  priority: INFO\n",
        yaml_scalar(clause, false)
    );
    let res = e.load("clause", &text);
    if !res.errors.is_empty() {
        return None;
    }
    e.rule("quell-ask clause").map(|c| c.matches(&r.event))
}
