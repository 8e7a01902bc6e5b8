//! The checks by code on a model's reply: exceptions through quell's `tune --check`,
//! the verdict it states against quell's, the fields it names against quell-rules'.
//! Nothing here asks the model anything; every decision is quell's.

use std::collections::BTreeSet;

use quell_events::term::{escape, escape_lines};
use quell_rules::fields_table::registry;
use quell_triage::verify::Verification;
use quell_triage::Lang;

use super::{Asker, ExceptionOutcome, ModelReport, VerdictClaim};
use crate::{Answer, Exception, Question};

/// A block of YAML in a reply: its byte range in the reply and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Start of the block in the reply (its opening fence, or its first line).
    pub start: usize,
    /// End of the block (after its closing fence, or its last line).
    pub end: usize,
    /// The YAML, without fences.
    pub yaml: String,
}

/// Keys that make a block a Falco item (or a piece of one).
const FALCO_KEYS: [&str; 10] = [
    "rule:",
    "macro:",
    "list:",
    "exceptions:",
    "condition:",
    "fields:",
    "values:",
    "comps:",
    "override:",
    "append:",
];

fn falco_like(yaml: &str) -> bool {
    yaml.lines().any(|l| {
        let t = l.trim_start();
        let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
        FALCO_KEYS.iter().any(|k| t.starts_with(k))
    })
}

/// A line that starts an unfenced Falco item.
fn starts_item(line: &str) -> bool {
    let t = line.trim_start();
    [
        "- rule:",
        "- macro:",
        "- list:",
        "- condition:",
        "- name:",
        "exceptions:",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

/// Every exception-like YAML block in a reply: fenced blocks (```` ``` ```` or `~~~`)
/// that are YAML or hold a Falco key, and unfenced runs of lines from a `- rule:`
/// (`- macro:`, `- list:`, `exceptions:`, ...) line through the lines that continue it
/// (indented, or starting with `-`).
pub fn extract_blocks(text: &str) -> Vec<Block> {
    let mut lines = Vec::new();
    let mut off = 0;
    for l in text.split_inclusive('\n') {
        lines.push((off, l));
        off += l.len();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            let fence = &t[..3];
            let lang = t[3..].trim().to_ascii_lowercase();
            let close = (i + 1..lines.len()).find(|&j| lines[j].1.trim_start().starts_with(fence));
            let body_end = close.unwrap_or(lines.len());
            let yaml: String = lines[i + 1..body_end].iter().map(|(_, l)| *l).collect();
            let end = match close {
                Some(j) => lines[j].0 + lines[j].1.len(),
                None => text.len(),
            };
            let yamlish = matches!(lang.as_str(), "yaml" | "yml");
            if falco_like(&yaml) || (yamlish && !yaml.trim().is_empty()) {
                out.push(Block { start, end, yaml });
            }
            i = body_end + 1;
            continue;
        }
        if starts_item(line) {
            let mut j = i + 1;
            let mut last = i;
            while j < lines.len() {
                let l = lines[j].1;
                if l.trim().is_empty() {
                    j += 1;
                    continue;
                }
                let indented = l.starts_with([' ', '\t', '-']);
                let fence = l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~");
                if !indented || fence {
                    break;
                }
                last = j;
                j += 1;
            }
            let end = lines[last].0 + lines[last].1.len();
            out.push(Block {
                start,
                end,
                yaml: text[start..end].to_string(),
            });
            i = last + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// A YAML block in a fence, as quell's check reads a pasted exception.
pub fn fence(yaml: &str) -> String {
    let mut s = String::from("```yaml\n");
    s.push_str(yaml);
    if !yaml.ends_with('\n') {
        s.push('\n');
    }
    s.push_str("```\n");
    s
}

/// Tabs at the start of lines: quell-triage's [`quell_triage::check::untab`], the one reading.
pub use quell_triage::check::untab;

/// The number of top-level items of a YAML list (`None`: not a YAML list).
fn item_count(yaml: &str) -> Option<usize> {
    let doc = quell_rules::yaml::parse("model.yaml", yaml).ok()??;
    doc.as_seq().map(<[_]>::len)
}

/// What checking a reply gives.
pub(crate) struct Checked {
    /// The reply as shown: escaped, each exception block replaced or removed.
    pub text: String,
    /// The first exception shown, for an answer that has none of its own.
    pub exception: Option<Exception>,
}

/// The checks on the model's final text, recorded in `report`.
pub(crate) fn check_reply(
    asker: &dyn Asker,
    q: &Question<'_>,
    base: &Answer,
    content: &str,
    lang: Lang,
    report: &mut ModelReport,
) -> Checked {
    let ja = lang == Lang::Ja;
    let mut text = String::new();
    let mut exception = None;
    let mut at = 0;
    let blocks = extract_blocks(content);
    report.checks.push(format!(
        "{} exception block(s) checked with quell tune --check",
        blocks.len()
    ));
    for b in &blocks {
        text.push_str(&escape_lines(&content[at..b.start]));
        at = b.end;
        let (outcome, ex) = check_block(asker, q, base, &b.yaml, lang);
        match (&outcome.yaml, outcome.outcome) {
            (Some(y), o) => {
                text.push_str(&fence(&escape_lines(y)));
                text.push_str(&match (o, ja) {
                    ("verified", false) => "(quell: this exception passed `quell tune --check`; shown as quell verified it)\n".to_string(),
                    ("verified", true) => "（quell：この例外は `quell tune --check` に合格しました。検証した形で表示しています）\n".to_string(),
                    (_, false) => "(quell: the model's exception was replaced by this corrected, verified block; see the check below)\n".to_string(),
                    (_, true) => "（quell：モデルの例外を、この修正・検証済みのブロックに置き換えました。下の検査を参照）\n".to_string(),
                });
            }
            (None, _) => {
                text.push_str(if ja {
                    "［quell：モデルが書いた例外を削除しました。理由は下の検査を参照］\n"
                } else {
                    "[quell removed an exception the model wrote; the reason is in the check below]\n"
                });
            }
        }
        if exception.is_none() {
            exception = ex;
        }
        report.exceptions.push(outcome);
    }
    text.push_str(&escape_lines(&content[at..]));

    // The verdict it states, beside quell's.
    report
        .checks
        .push("the verdict it states compared with quell's".into());
    let quell = base
        .verdict
        .as_ref()
        .and_then(|v| v["verdict"].as_str())
        .map(str::to_string);
    // Its prose only: the blocks are quell's to judge (and their comments carry quell's words).
    let mut prose = String::new();
    let mut from = 0;
    for b in &blocks {
        prose.push_str(&content[from..b.start]);
        from = b.end;
    }
    prose.push_str(&content[from..]);
    if let Some(model) = claimed_verdict(&prose) {
        let agrees = quell.as_deref() == Some(model);
        report.verdict = Some(VerdictClaim {
            model,
            quell,
            agrees,
        });
    }

    // Fields it names.
    report
        .checks
        .push("the fields it names looked up in quell-rules' field table".into());
    report.unknown_fields = unknown_fields(content);
    report
        .checks
        .push("the evidence listed is quell's, not the model's".into());
    Checked { text, exception }
}

/// One exception block through quell's check ([`crate::Assistant::ask`] with the block
/// pasted, i.e. `quell tune --check` over the same events): what is shown instead.
fn check_block(
    asker: &dyn Asker,
    q: &Question<'_>,
    base: &Answer,
    block: &str,
    lang: Lang,
) -> (ExceptionOutcome, Option<Exception>) {
    let original = escape_lines(&block.chars().take(2000).collect::<String>()).into_owned();
    let removed = |reasons: Vec<String>| {
        (
            ExceptionOutcome {
                outcome: "removed",
                original: original.clone(),
                yaml: None,
                reasons,
            },
            None,
        )
    };
    let verdict = base.verdict.as_ref();
    let quell_verdict = verdict.and_then(|v| v["verdict"].as_str());
    let subject_rule = verdict.and_then(|v| v["rule"].as_str());
    if quell_verdict == Some("likely_real") {
        return removed(vec![match lang {
            Lang::En => "quell rates this cluster likely real: it writes no exception for it and shows none from the model".into(),
            Lang::Ja => "quell はこのクラスタを実際の攻撃の可能性が高いと判定しており、例外を作成せず、モデルの例外も表示しません".into(),
        }]);
    }
    let (yaml, tabs) = untab(block);
    let mut reasons: Vec<String> = Vec::new();
    if tabs {
        reasons.push(t(lang, "the block indents with tabs, which YAML forbids (Falco's loader rejects the file); it was read with the tabs as spaces", "ブロックがタブでインデントされています。YAML はこれを許さず、Falco のローダーはファイルを拒否します（タブを空白として読みました）"));
    }
    // The benign set is the subject's alerts: the question's selector, else the first
    // alert (the deterministic answer's own default subject).
    let about = q.about.or(Some("1"));
    let checked = asker.ask(&Question {
        text: &fence(&yaml),
        about,
        lang: Some(lang),
    });
    let Some(rep) = checked.check else {
        reasons.extend(
            checked
                .diagnostics
                .iter()
                .map(|d| escape(&d.message).into_owned()),
        );
        if reasons.is_empty() {
            reasons.push(t(
                lang,
                "quell could not check it",
                "quell はこれを検査できませんでした",
            ));
        }
        return removed(reasons);
    };
    reasons.extend(rep.problems.iter().map(|p| escape(&p.what).into_owned()));
    let single_item = item_count(&yaml) == Some(1);
    let mut shown: Vec<(String, Verification)> = Vec::new();
    let mut all_accepted = true;
    for rc in &rep.rules {
        if let Some(sr) = subject_rule {
            if !rc.rule.eq_ignore_ascii_case(sr) {
                all_accepted = false;
                reasons.push(t(
                    lang,
                    format!(
                        "an exception for rule \"{}\": the question is about rule \"{}\", and quell shows no exception wider than the one asked for",
                        escape(&rc.rule),
                        escape(sr)
                    ),
                    format!(
                        "ルール \"{}\" の例外：質問はルール \"{}\" についてのもので、quell は求められた範囲より広い例外を表示しません",
                        escape(&rc.rule),
                        escape(sr)
                    ),
                ));
                continue;
            }
        }
        match (&rc.corrected, &rc.verification) {
            (Some(c), _) if c.verification.passed => {
                shown.push((c.yaml.clone(), c.verification.clone()));
            }
            (None, Some(v)) if v.passed && rep.ok && rep.rules.len() == 1 && single_item => {
                shown.push((yaml.clone(), v.clone()));
            }
            (c, v) => {
                all_accepted = false;
                let failed = c.as_ref().map(|c| &c.verification).or(v.as_ref());
                let why = failed.map(|v| why_not(v, lang)).unwrap_or_default();
                reasons.push(t(
                    lang,
                    format!(
                        "the exception for rule \"{}\"{} does not pass verification{why}",
                        escape(&rc.rule),
                        if c.is_some() { ", even corrected," } else { "" },
                    ),
                    format!(
                        "ルール \"{}\" の例外は{}検証に合格しません{why}",
                        escape(&rc.rule),
                        if c.is_some() { "修正しても" } else { "" },
                    ),
                ));
                // The exception quell writes for the same alerts, when the question is
                // about this rule: what `tune` synthesizes from the benign events.
                if subject_rule.is_some() && shown.is_empty() {
                    if let Some(e) = quell_exception(asker, base, about, lang) {
                        reasons.push(t(
                            lang,
                            "shown instead: the exception quell synthesized and verified for the same alerts",
                            "代わりに表示：quell が同じアラートについて合成し検証した例外",
                        ));
                        shown.push((e.yaml, e.verification));
                    }
                }
            }
        }
    }
    if shown.is_empty() {
        if rep.rules.is_empty() && reasons.is_empty() {
            reasons.push(t(
                lang,
                "no `- rule:` item with `exceptions` in it",
                "`exceptions` を持つ `- rule:` 項目がありません",
            ));
        }
        return removed(reasons);
    }
    let outcome = if rep.ok && all_accepted && reasons.is_empty() {
        "verified"
    } else {
        "replaced"
    };
    let yaml_shown: String = shown
        .iter()
        .map(|(y, _)| y.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let ex = Exception {
        yaml: shown[0].0.clone(),
        verification: shown[0].1.clone(),
        legacy_yaml: String::new(),
        legacy_verification: Verification::default(),
    };
    (
        ExceptionOutcome {
            outcome,
            original,
            yaml: Some(yaml_shown),
            reasons,
        },
        Some(ex),
    )
}

fn t(lang: Lang, en: impl Into<String>, ja: impl Into<String>) -> String {
    match lang {
        Lang::En => en.into(),
        Lang::Ja => ja.into(),
    }
}

/// Why a verification failed, in words (untrusted parts escaped).
fn why_not(v: &Verification, lang: Lang) -> String {
    let mut w = Vec::new();
    if !v.loads {
        let e = escape(&v.errors.first().cloned().unwrap_or_default()).into_owned();
        w.push(t(
            lang,
            format!("it does not load ({e})"),
            format!("読み込めません（{e}）"),
        ));
    }
    if v.benign_silenced < v.benign_total || v.benign_total == 0 {
        w.push(t(
            lang,
            format!(
                "it silences {} of {} benign alert(s)",
                v.benign_silenced, v.benign_total
            ),
            format!(
                "良性アラート {} 件中 {} 件しか抑止しません",
                v.benign_total, v.benign_silenced
            ),
        ));
    }
    if v.keep_alerting < v.keep_total {
        let n = v.keep_total - v.keep_alerting;
        w.push(t(
            lang,
            format!(
                "it silences {n} of {} keep event(s) (real attacks that must keep alerting)",
                v.keep_total
            ),
            format!(
                "維持すべきイベント（アラートし続けるべき実際の攻撃）{} 件中 {n} 件を抑止します",
                v.keep_total
            ),
        ));
    }
    if v.blast_radius.blocking > 0 {
        let eg = v
            .blocking
            .first()
            .map(|b| escape(&b.description).into_owned())
            .unwrap_or_default();
        w.push(t(
            lang,
            format!(
                "over history it would silence {} alert(s) outside the benign set that triage rates likely real or uncertain, e.g. {eg}",
                v.blast_radius.blocking
            ),
            format!(
                "過去のアラートのうち良性セット外で、実際の攻撃または判断保留と判定された {} 件を抑止します（例：{eg}）",
                v.blast_radius.blocking
            ),
        ));
    }
    if w.is_empty() {
        String::new()
    } else {
        format!(
            "{}{}",
            t(lang, ": ", "："),
            w.join(t(lang, "; ", "、").as_str())
        )
    }
}

/// quell's own verified exception for the question's alerts: the answer's, else what
/// `write an exception` gives for the same selector.
fn quell_exception(
    asker: &dyn Asker,
    base: &Answer,
    about: Option<&str>,
    lang: Lang,
) -> Option<Exception> {
    let e = match &base.exception {
        Some(e) => Some(e.clone()),
        None => {
            asker
                .ask(&Question {
                    text: "write an exception so that this no longer alerts",
                    about,
                    lang: Some(lang),
                })
                .exception
        }
    };
    e.filter(|e| e.verification.passed)
}

const FP: &str = "likely_false_positive";
const REAL: &str = "likely_real";
const UNCERTAIN: &str = "uncertain";

/// Verdict phrases, negations first (a matched phrase is blanked before the next).
const PHRASES: &[(&str, &str)] = &[
    ("not likely a false positive", REAL),
    ("not a false positive", REAL),
    ("not benign", REAL),
    ("not malicious", FP),
    ("not a real attack", FP),
    ("not an attack", FP),
    ("誤検知ではない", REAL),
    ("誤検知ではありません", REAL),
    ("誤検知とは言えません", REAL),
    ("攻撃ではない", FP),
    ("攻撃ではありません", FP),
    ("悪意はない", FP),
    ("悪意はありません", FP),
    ("likely false positive", FP),
    ("false positive", FP),
    ("benign", FP),
    ("harmless", FP),
    ("safe to ignore", FP),
    ("誤検知", FP),
    ("良性", FP),
    ("無害", FP),
    ("likely real", REAL),
    ("true positive", REAL),
    ("malicious", REAL),
    ("real attack", REAL),
    ("an attack", REAL),
    ("compromise", REAL),
    ("実際の攻撃", REAL),
    ("攻撃", REAL),
    ("悪意", REAL),
    ("侵害", REAL),
    ("uncertain", UNCERTAIN),
    ("判断保留", UNCERTAIN),
];

/// The verdict words in `s`: one verdict when every phrase found says the same.
fn classify(s: &str) -> Option<&'static str> {
    let mut t = s.to_lowercase().replace(['_', '-'], " ");
    let mut found = BTreeSet::new();
    for (p, v) in PHRASES {
        if t.contains(p) {
            found.insert(*v);
            t = t.replace(p, " ");
        }
    }
    match found.len() {
        1 => found.into_iter().next(),
        _ => None,
    }
}

/// The verdict a reply states: its `VERDICT:` (`判定：`) line when it has one, else the
/// verdict words of its prose when they all say the same (`None` when they conflict or
/// there are none).
pub fn claimed_verdict(reply: &str) -> Option<&'static str> {
    for line in reply.lines() {
        let l = line
            .trim()
            .trim_matches(['*', '#', '`', ' '])
            .to_lowercase();
        for prefix in ["verdict:", "verdict :", "判定:", "判定："] {
            if let Some(rest) = l.strip_prefix(prefix) {
                if let Some(v) = classify(rest) {
                    return Some(v);
                }
            }
        }
    }
    classify(reply)
}

/// Field names in a reply (`proc.name`, `fd.name`, `proc.aname[2]`, `evt.arg.flags`) whose
/// class (`proc`, `fd`, ...) quell-rules knows but that it does not resolve: made up.
pub fn unknown_fields(reply: &str) -> Vec<String> {
    let reg = registry();
    let classes: BTreeSet<&str> = reg
        .descriptors()
        .iter()
        .filter_map(|d| d.name.split('.').next())
        .collect();
    let bytes = reply.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let prev_ok = i == 0 || {
            let p = bytes[i - 1];
            !(p.is_ascii_alphanumeric() || matches!(p, b'_' | b'.' | b'/' | b'-' | b':' | b'@'))
        };
        if !(c.is_ascii_lowercase() && prev_ok) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len()
            && (bytes[j].is_ascii_lowercase()
                || bytes[j].is_ascii_digit()
                || matches!(bytes[j], b'_' | b'.'))
        {
            j += 1;
        }
        let mut end = j;
        if j < bytes.len() && bytes[j] == b'[' {
            if let Some(k) = reply[j..].find(']').filter(|&k| k <= 64) {
                end = j + k + 1;
            }
        }
        let tok = reply[i..end].trim_end_matches('.');
        if let Some((class, _)) = tok.split_once('.') {
            if classes.contains(class)
                && reg.resolve_text(tok).is_err()
                && !out.iter().any(|o| o == tok)
            {
                out.push(escape(tok).into_owned());
            }
        }
        i = end.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_fenced_and_bare() {
        let r = "Here:\n```yaml\n- rule: A\n  exceptions: []\n```\nand\n- rule: B\n  exceptions:\n\t- name: x\nDone.\n```bash\nls\n```\n";
        let b = extract_blocks(r);
        assert_eq!(b.len(), 2, "{b:?}");
        assert_eq!(b[0].yaml, "- rule: A\n  exceptions: []\n");
        assert_eq!(
            &r[b[0].start..b[0].end],
            "```yaml\n- rule: A\n  exceptions: []\n```\n"
        );
        assert_eq!(b[1].yaml, "- rule: B\n  exceptions:\n\t- name: x\n");
        // An unclosed fence runs to the end.
        let b = extract_blocks("x\n```\n- rule: A\n");
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].end, "x\n```\n- rule: A\n".len());
    }

    #[test]
    fn tabs_read_as_spaces() {
        let (y, p) = untab("- rule: A\n\texceptions:\n\t\t- name: x\n");
        assert!(p);
        assert!(quell_rules::yaml::parse("t", &y).is_ok(), "{y}");
        assert!(!y.contains('\t'));
        assert!(!untab("- rule: A\n").1);
    }

    #[test]
    fn verdict_words() {
        assert_eq!(
            claimed_verdict("This is benign.\nVERDICT: likely_real"),
            Some(REAL)
        );
        assert_eq!(
            claimed_verdict("**Verdict:** likely false positive"),
            Some(FP)
        );
        assert_eq!(claimed_verdict("This is benign maintenance."), Some(FP));
        assert_eq!(claimed_verdict("This is not a false positive."), Some(REAL));
        assert_eq!(claimed_verdict("誤検知です。"), Some(FP));
        assert_eq!(claimed_verdict("誤検知ではありません。"), Some(REAL));
        assert_eq!(claimed_verdict("benign but malicious"), None);
        assert_eq!(claimed_verdict("the rule fired on unlinkat"), None);
    }

    #[test]
    fn made_up_fields() {
        let u = unknown_fields(
            "Use proc.name, `proc.pname`, proc.aname[2], evt.arg.flags and fd.name; not proc.parent_hash or container.imagename. /var/log/dpkg.log, example.com, https://x.proc.y",
        );
        assert_eq!(u, vec!["proc.parent_hash", "container.imagename"]);
    }
}
