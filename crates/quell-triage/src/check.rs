//! `quell tune --check`: verify an exception someone else wrote (a person, a chat
//! assistant), say precisely what is wrong and how to fix it, and give a corrected block
//! where one can be inferred.

use quell_rules::diagnostic::Diagnostic;
use quell_rules::engine::Engine;
use quell_rules::syntax::{parse, Expr, Operand, ParseError, Rhs};
use quell_rules::yaml::{self, Kind, Node};
use serde::Serialize;

use crate::emit::{slug, ExVal, ExceptionSpec};
use crate::input::Record;
use crate::synth::{emit_verified, safe_for_eq, synthesize, Options};
use crate::verify::{closest_rule, load_rules, RulesFile, SetupError, Verification, Verifier};

/// One problem and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What is wrong, precisely.
    pub what: String,
    /// How to fix it.
    pub fix: String,
}

/// A corrected block and its verification.
#[derive(Clone, Debug, Serialize)]
pub struct Corrected {
    /// The full YAML, exactly as verified.
    pub yaml: String,
    /// How it was obtained.
    pub how: String,
    /// Its verification.
    pub verification: Verification,
}

/// The check of one rule's exceptions.
#[derive(Clone, Debug, Serialize)]
pub struct RuleCheck {
    /// The rule the proposal tunes (as written).
    pub rule: String,
    /// The verification of the proposal as written (when the rule exists).
    pub verification: Option<Verification>,
    /// A corrected block, when one can be inferred.
    pub corrected: Option<Corrected>,
}

/// The whole check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// True when the proposal loads cleanly and passes verification.
    pub ok: bool,
    /// Every problem found, in file order.
    pub problems: Vec<Problem>,
    /// Per rule.
    pub rules: Vec<RuleCheck>,
}

fn p(what: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem {
        what: what.into(),
        fix: fix.into(),
    }
}

fn key<'y>(h: &'y Node, k: &str) -> Option<&'y Node> {
    h.get(k)
}

fn scalar(y: &Node) -> Option<String> {
    y.as_scalar().map(str::to_string)
}

/// A YAML boolean `true` as yaml-cpp decodes it.
fn is_true(y: &Node) -> bool {
    y.plain
        && y.as_scalar().is_some_and(|s| {
            matches!(
                s,
                "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On" | "ON"
            )
        })
}

fn exval(y: &Node) -> Option<ExVal> {
    match &y.kind {
        Kind::Seq(a) => a
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .map(ExVal::Many),
        _ => scalar(y).map(ExVal::One),
    }
}

/// Reads `fields`/`comps`/`values` of an entry into the list form, if well-formed.
fn entry_spec(h: &Node, name: &str) -> Option<ExceptionSpec> {
    let fields_y = key(h, "fields")?;
    let values_y = key(h, "values")?;
    let values = values_y.as_seq()?;
    match &fields_y.kind {
        Kind::Seq(fs) => {
            let fields: Vec<String> = fs.iter().map(scalar).collect::<Option<_>>()?;
            let comps: Vec<String> = match key(h, "comps") {
                None => vec!["=".into(); fields.len()],
                Some(Node {
                    kind: Kind::Seq(cs),
                    ..
                }) => cs
                    .iter()
                    .map(|c| scalar(c).map(|s| s.trim().to_string()))
                    .collect::<Option<_>>()?,
                Some(_) => return None,
            };
            if comps.len() != fields.len() {
                return None;
            }
            let mut tuples = Vec::new();
            for t in values {
                let items = t.as_seq()?;
                if items.len() != fields.len() {
                    return None;
                }
                tuples.push(items.iter().map(exval).collect::<Option<Vec<_>>>()?);
            }
            Some(ExceptionSpec {
                name: name.to_string(),
                fields,
                comps,
                values: tuples,
            })
        }
        _ => {
            let field = scalar(fields_y)?;
            let comp = match key(h, "comps") {
                None => "in".to_string(),
                Some(c) => scalar(c)?.trim().to_string(),
            };
            let items: Vec<String> = values.iter().map(scalar).collect::<Option<_>>()?;
            Some(ExceptionSpec {
                name: name.to_string(),
                fields: vec![field],
                comps: vec![comp],
                values: vec![vec![ExVal::Many(items)]],
            })
        }
    }
}

/// Why a condition cannot be turned into an exception's fields/comps/values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The condition is not valid condition syntax.
    #[error("the condition does not parse: {0}")]
    Parse(ParseError),
    /// `not`, a macro or a nested group: not a conjunction of comparisons.
    #[error("only comparisons joined by `and` (optionally alternatives joined by `or`) map onto fields/comps/values; `not`, macros and nested groups do not")]
    NotComparisons,
    /// A transformer (`toupper(proc.name)`) on the left-hand side.
    #[error("a transformer on the left-hand side cannot be an exception field")]
    TransformerField,
    /// A comparison without a constant (`exists`, a field on the right).
    #[error("`{field} {comp}` has no constant value to put in `values`")]
    NoConstant {
        /// The field.
        field: String,
        /// The comparison operator.
        comp: String,
    },
    /// Alternatives that compare different fields.
    #[error("the alternatives joined by `or` compare different fields; split them into separate exceptions")]
    DifferentFields,
}

/// Tabs at the start of lines (YAML forbids them in indentation): the text with each such
/// tab read as 2, 4 or 8 spaces (the first width that parses), and whether it had any.
pub fn untab(text: &str) -> (String, bool) {
    let tabbed = text
        .lines()
        .any(|l| l[..l.len() - l.trim_start().len()].contains('\t'));
    if !tabbed {
        return (text.to_string(), false);
    }
    for width in [2usize, 4, 8] {
        let spaced: String = text
            .split_inclusive('\n')
            .map(|l| {
                let rest = l.trim_start_matches([' ', '\t']);
                let lead = &l[..l.len() - rest.len()];
                let n: usize = lead
                    .chars()
                    .map(|c| if c == '\t' { width } else { 1 })
                    .sum();
                format!("{}{rest}", " ".repeat(n))
            })
            .collect();
        if yaml::parse("untab.yaml", &spaced).is_ok() {
            return (spaced, true);
        }
    }
    (text.to_string(), true)
}

/// Whether a corrected block may be offered: it loads, silences every benign event given
/// (when some are), leaves every keep event alerting and silences no past alert that
/// triage rates likely real or uncertain, nor one a person marked real.
fn corrected_holds(v: &Verification, no_benign: bool) -> bool {
    v.loads
        && (no_benign || v.benign_silenced == v.benign_total)
        && v.keep_alerting == v.keep_total
        && v.blast_radius.blocking == 0
        && v.blast_radius.marked_real == 0
}

/// Translates a condition (what to exclude) into exception tuples: a conjunction of
/// `field op value` checks, or a disjunction of such conjunctions over the same fields.
pub fn condition_to_spec(cond: &str, name: &str) -> Result<ExceptionSpec, SpecError> {
    let expr = parse(cond).map_err(SpecError::Parse)?;
    let disjuncts: Vec<Expr> = match expr {
        Expr::Or(v) => v,
        other => vec![other],
    };
    let mut fields: Option<Vec<(String, String)>> = None;
    let mut tuples = Vec::new();
    for d in disjuncts {
        let checks = match d {
            Expr::And(v) => v,
            other => vec![other],
        };
        let mut fc = Vec::new();
        let mut tuple = Vec::new();
        for c in checks {
            let Expr::Check(c) = c else {
                return Err(SpecError::NotComparisons);
            };
            let Operand::Field {
                name: fname, arg, ..
            } = &c.lhs
            else {
                return Err(SpecError::TransformerField);
            };
            let field = match arg {
                Some(a) => format!("{fname}[{a}]"),
                None => fname.clone(),
            };
            let comp = match c.op.modifier {
                Some(m) => format!("{} {}", c.op.base.as_str(), m.as_str()),
                None => c.op.base.as_str().to_string(),
            };
            let v = match &c.rhs {
                Rhs::Value(v) => ExVal::One(v.clone()),
                Rhs::List(l) => ExVal::Many(l.clone()),
                Rhs::None | Rhs::Operand(_) => return Err(SpecError::NoConstant { field, comp }),
            };
            fc.push((field, comp));
            tuple.push(v);
        }
        match &fields {
            None => fields = Some(fc),
            Some(prev) if *prev == fc => {}
            Some(_) => return Err(SpecError::DifferentFields),
        }
        tuples.push(tuple);
    }
    let fc = fields.unwrap_or_default();
    Ok(ExceptionSpec {
        name: name.to_string(),
        fields: fc.iter().map(|(f, _)| f.clone()).collect(),
        comps: fc.iter().map(|(_, c)| c.clone()).collect(),
        values: tuples,
    })
}

fn fix_for_code(code: &str) -> &'static str {
    match code {
        "LOAD_ERR_YAML_PARSE" => "fix the YAML syntax (indentation, quotes, brackets)",
        "LOAD_ERR_YAML_VALIDATE" => "give every exception `name`, `fields`, `comps` and `values`, and nothing else",
        "LOAD_ERR_VALIDATE" => "use supported fields and comparison operators, with as many comps and values per tuple as fields",
        "LOAD_ERR_COMPILE_CONDITION" => "the values do not compile into a valid condition: avoid double quotes inside values with spaces, or use another operator",
        "LOAD_DEPRECATED_ITEM" => "replace `append: true` with `override: {exceptions: append}`",
        "LOAD_APPEND_NO_VALUES" => "add `values:` (a list of tuples, one value per field)",
        "LOAD_EXCEPTION_NAME_NOT_UNIQUE" => "give each exception a distinct name",
        "LOAD_UNKNOWN_FILTER" => "use a field Falco knows (see `falco --list`)",
        _ => "see the Falco rules documentation for exceptions",
    }
}

/// The name a proposal is reported under by [`check`].
pub const PROPOSAL_NAME: &str = "proposal.yaml";

/// Checks a proposal, reported under [`PROPOSAL_NAME`]; see [`check_named`].
pub fn check(
    rules: &[RulesFile],
    proposal: &str,
    benign: &[Record],
    keep: &[Record],
    history: &[Record],
) -> Result<CheckReport, SetupError> {
    check_named(rules, PROPOSAL_NAME, proposal, benign, keep, history)
}

/// `FILE:LINE:COLUMN` of a diagnostic, when it has a position.
fn diag_at(d: &Diagnostic) -> String {
    d.position()
        .map(|p| format!(" ({}:{}:{})", p.name, p.line, p.column))
        .unwrap_or_default()
}

fn diag_key(d: &Diagnostic) -> String {
    format!("{:?}|{}{}", d.code, d.message, diag_at(d))
}

/// What Falco's loader says about the proposal file `name` loaded after `rules`: its
/// own diagnostics, located in it; diagnostics it causes in the rules files (not those
/// the rules report on their own) are said to be there.
fn loader_problems(
    rules: &[RulesFile],
    name: &str,
    proposal: &str,
    legacy: bool,
    problems: &mut Vec<Problem>,
) {
    let mut engine = Engine::new();
    let mut before = std::collections::HashSet::new();
    for f in rules {
        let r = engine.load(&f.name, &f.text);
        before.extend(r.errors.iter().chain(&r.warnings).map(diag_key));
    }
    let res = engine.load(name, proposal);
    for d in res.errors.iter().chain(&res.warnings) {
        if legacy && d.code == quell_rules::Code::LoadDeprecatedItem {
            continue;
        }
        let code = d.code.name();
        let what = match d.position() {
            Some(pos) if pos.name != name => {
                if before.contains(&diag_key(d)) {
                    continue;
                }
                format!(
                    "Falco's loader, after this file is loaded: {code}: {}{} (in the rules loaded before it, caused by this file)",
                    d.message,
                    diag_at(d)
                )
            }
            _ => format!("Falco's loader: {code}: {}{}", d.message, diag_at(d)),
        };
        let already = problems
            .iter()
            .any(|q| d.message.contains("'name'") && q.what.contains("no `name`"));
        if !already {
            problems.push(p(what, fix_for_code(code)));
        }
    }
}

/// Checks a proposal read from the file `name` (every problem is located in it).
/// `rules` are loaded first; benign/keep/history are optional sets. The proposal is
/// parsed with quell-rules' YAML loader (positions; bounded alias expansion).
pub fn check_named(
    rules: &[RulesFile],
    name: &str,
    proposal: &str,
    benign: &[Record],
    keep: &[Record],
    history: &[Record],
) -> Result<CheckReport, SetupError> {
    let base = load_rules(rules)?;
    let mut problems = Vec::new();
    let mut per_rule = Vec::new();
    // Tabs in indentation (a chat answer's habit): YAML forbids them and Falco's loader
    // rejects the file. Said as a problem, then the rest is checked with them read as
    // spaces, so that the other problems and a corrected block are still given.
    let untabbed;
    let proposal = match (yaml::parse(name, proposal), untab(proposal)) {
        (Err(_), (spaced, true)) if yaml::parse(name, &spaced).is_ok() => {
            let line = proposal
                .lines()
                .position(|l| l[..l.len() - l.trim_start().len()].contains('\t'))
                .map_or(1, |i| i + 1);
            problems.push(p(
                format!("the file indents with tabs ({name}:{line}), which YAML forbids; Falco's loader rejects the file (the rest is checked with the tabs read as spaces)"),
                "indent with spaces only",
            ));
            untabbed = spaced;
            untabbed.as_str()
        }
        _ => proposal,
    };
    let doc = match yaml::parse(name, proposal) {
        Ok(d) => d,
        Err(d) => {
            problems.push(p(
                format!(
                    "the file is not valid YAML: {}{}",
                    d.message.trim_start_matches("yaml: "),
                    diag_at(&d)
                ),
                "fix the YAML syntax; a rules file is a list of items (`- rule: ...`)",
            ));
            return Ok(CheckReport {
                ok: false,
                problems,
                rules: per_rule,
            });
        }
    };
    let Some(items) = doc.as_ref().and_then(Node::as_seq) else {
        problems.push(p(
            format!("the file is not a YAML list of items ({name})"),
            "write each item as `- rule: NAME` followed by its keys",
        ));
        return Ok(CheckReport {
            ok: false,
            problems,
            rules: per_rule,
        });
    };
    let mut any_rule = false;
    let mut loader_reported = false;
    for (n, item) in items.iter().enumerate() {
        let h = item;
        if !h.is_map() {
            continue;
        }
        let Some(rule) = key(h, "rule").and_then(scalar) else {
            continue;
        };
        let Some(exs) = key(h, "exceptions") else {
            continue;
        };
        any_rule = true;
        let item_no = format!("{} ({name}:{})", n + 1, item.mark.line);
        let mut target_rule = rule.clone();
        if base.rule(&rule).is_none() {
            match closest_rule(&base, &rule) {
                Some(c) => {
                    problems.push(p(
                        format!("item {item_no}: no rule named \"{rule}\" is loaded, so there is nothing to add exceptions to"),
                        format!("use the exact name \"{c}\" (names are case-sensitive)"),
                    ));
                    target_rule = c.to_string();
                }
                None => problems.push(p(
                    format!("item {item_no}: no rule named \"{rule}\" is loaded, so there is nothing to add exceptions to"),
                    "use the exact name of a rule in the rules you load before this file (`quell rules` lists them)",
                )),
            }
        }
        let append = key(h, "append").is_some_and(is_true);
        let over = key(h, "override");
        let over_ex = over.and_then(|o| key(o, "exceptions")).and_then(scalar);
        if append && over.is_some() {
            problems.push(p(format!("item {item_no}: both `append: true` and `override` are given; Falco refuses that"), "keep only `override: {exceptions: append}`"));
        } else if !append && over.is_none() {
            problems.push(p(
                format!("item {item_no}: without `override` (or the older `append: true`) this item redefines \"{rule}\" from scratch instead of adding exceptions to it, and Falco then requires its condition, output, priority and description"),
                "add `override: {exceptions: append}` under the rule",
            ));
        } else if over_ex.as_deref() == Some("replace") {
            problems.push(p(
                format!("item {item_no}: `override: {{exceptions: replace}}` discards the exceptions the rule already has"),
                "use `exceptions: append` unless you mean to drop them",
            ));
        }
        let mut specs: Vec<ExceptionSpec> = Vec::new();
        let mut inferable = true;
        match &exs.kind {
            Kind::Seq(entries) => {
                for (k, e) in entries.iter().enumerate() {
                    let en = format!("{} (line {})", k + 1, e.mark.line);
                    let eh = e;
                    if !eh.is_map() {
                        problems.push(p(
                            format!("item {item_no}, exception {en}: not a mapping"),
                            "write `- name: ...` with `fields`, `comps`, `values`",
                        ));
                        inferable = false;
                        continue;
                    }
                    let given_name = key(eh, "name").and_then(scalar);
                    for (kk, _) in eh.as_map().unwrap_or_default() {
                        let kname = scalar(kk).unwrap_or_default();
                        if !["name", "fields", "comps", "values", "condition"]
                            .contains(&kname.as_str())
                        {
                            problems.push(p(
                                format!("item {item_no}, exception {en}: unknown key `{kname}`"),
                                "an exception has only `name`, `fields`, `comps` and `values`",
                            ));
                        }
                    }
                    if given_name.is_none() {
                        problems.push(p(
                            format!("item {item_no}, exception {en}: no `name`; Falco rejects it (\"Item has no mapping for key 'name'\")"),
                            "give it a unique name, e.g. `name: quell_...`",
                        ));
                    }
                    let cond = key(eh, "condition").and_then(scalar);
                    let has_fields = key(eh, "fields").is_some();
                    let name = given_name.clone().unwrap_or_default();
                    if let Some(c) = cond {
                        let auto = |s: &ExceptionSpec| {
                            let mut parts = vec!["quell".to_string()];
                            parts.extend(
                                s.fields
                                    .iter()
                                    .map(|f| f.rsplit('.').next().unwrap_or(f).to_string()),
                            );
                            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
                            slug(&refs)
                        };
                        match condition_to_spec(&c, &name) {
                            Ok(mut s) => {
                                if s.name.is_empty() {
                                    s.name = format!("{}_{}", auto(&s), k + 1);
                                }
                                let tuple_text: Vec<String> = s
                                    .fields
                                    .iter()
                                    .zip(&s.comps)
                                    .map(|(f, c)| format!("{f} {c} ..."))
                                    .collect();
                                problems.push(p(
                                    format!("item {item_no}, exception {en}: `condition:` is not an exception key; Falco builds the exception's condition itself from `fields`, `comps` and `values`"),
                                    format!("express `{c}` as fields: [{}], comps: [{}] and one values tuple per alternative ({})", s.fields.join(", "), s.comps.join(", "), tuple_text.join(" and ")),
                                ));
                                specs.push(s);
                            }
                            Err(why) => {
                                inferable = false;
                                problems.push(p(
                                    format!("item {item_no}, exception {en}: `condition:` is not an exception key, and this condition cannot be turned into fields/comps/values: {why}"),
                                    "write the exception as `fields`/`comps`/`values`, or tune the rule with an `allowed_*` macro override instead",
                                ));
                            }
                        }
                        continue;
                    }
                    if !has_fields {
                        inferable = false;
                        problems.push(p(format!("item {item_no}, exception {en}: no `fields`"), "list the fields to compare, e.g. `fields: [proc.exepath, fs.path.name]`"));
                        continue;
                    }
                    if key(eh, "values").is_none() {
                        problems.push(p(
                            format!("item {item_no}, exception {en}: no `values`, so it excludes nothing"),
                            "add `values:` with one tuple per case to exclude",
                        ));
                        inferable = false;
                        continue;
                    }
                    let mut name2 = name.clone();
                    if name2.is_empty() {
                        name2 = format!("quell_exception_{}", k + 1);
                    }
                    match entry_spec(eh, &name2) {
                        Some(s) => {
                            for t in &s.values {
                                for (v, (f, c)) in t.iter().zip(s.fields.iter().zip(&s.comps)) {
                                    if let ExVal::One(v) = v {
                                        let list_op =
                                            matches!(c.as_str(), "in" | "pmatch" | "intersects")
                                                || c.ends_with("of");
                                        if !list_op && !safe_for_eq(v) && v.contains(' ') {
                                            problems.push(p(
                                                format!("item {item_no}, exception {en}: the value `{v}` for {f} has a space and a quote or backslash; Falco wraps values with spaces in double quotes without escaping, so the compiled condition breaks"),
                                                format!("compare {f} with `contains` or `startswith` on a part without quotes, or use another field"),
                                            ));
                                        }
                                    }
                                }
                            }
                            specs.push(s);
                        }
                        None => {
                            inferable = false;
                        }
                    }
                }
            }
            _ => {
                inferable = false;
                problems.push(p(
                    format!("item {item_no}: `exceptions` must be a list"),
                    "write `exceptions:` followed by `- name: ...` entries",
                ));
            }
        }
        // Verification of the proposal as written.
        let mut rc = RuleCheck {
            rule: rule.clone(),
            verification: None,
            corrected: None,
        };
        if base.rule(&target_rule).is_some() {
            let vf = Verifier::new(rules, &target_rule, benign, keep, history)?;
            let legacy = append && over.is_none();
            let v = vf.verify(proposal, legacy);
            if !loader_reported {
                // The loader's diagnostics are about the whole file: reported once.
                loader_reported = true;
                loader_problems(rules, name, proposal, legacy, &mut problems);
            }
            if v.loads {
                semantic_problems(&v, &target_rule, &mut problems);
            }
            // A corrected block.
            if inferable && !specs.is_empty() {
                let (yaml, cv) = emit_verified(&vf, &specs, &Options { provenance: vec!["corrected by quell tune --check from the proposal's own fields and values".into()], ..Options::default() });
                // A corrected block is offered only when it holds: it loads, silences the
                // benign events given, leaves every keep event alerting and silences no past
                // alert triage rates likely real or uncertain (the same refusal as tune's).
                let good = corrected_holds(&cv, benign.is_empty());
                if good {
                    rc.corrected = Some(Corrected {
                        yaml,
                        how: "the proposal's own fields and values, in Falco's exception form"
                            .into(),
                        verification: cv,
                    });
                } else {
                    let blocked = cv.blocking.first().map(|b| format!("; it would silence {} past alert(s) triaged likely real or uncertain, e.g. line {} ({})", cv.blast_radius.blocking, b.line, b.verdict)).unwrap_or_default();
                    let synthesized = if vf.benign_alerting().next().is_some() {
                        synthesize(&vf, &Options { provenance: vec!["proposed by quell tune --check: the proposal as corrected did not pass verification".into()], ..Options::default() })
                            .ok()
                            .filter(|prop| prop.best.verification.passed)
                    } else {
                        None
                    };
                    let fix = if synthesized.is_some() {
                        "use the narrower exception quell synthesized from the benign events (below)"
                    } else {
                        "narrow it (more fields: the parent, the ancestor, the workload) or give the benign events with --benign so that quell can write one; no corrected block is offered"
                    };
                    problems.push(p(
                        format!("even in valid form, the proposal for \"{target_rule}\" fails verification (benign silenced {} of {}, keep still alerting {} of {}{blocked})", cv.benign_silenced, cv.benign_total, cv.keep_alerting, cv.keep_total),
                        fix,
                    ));
                    if let Some(prop) = synthesized {
                        rc.corrected = Some(Corrected {
                            yaml: prop.best.yaml,
                            how: format!(
                                "synthesized from the benign events ({})",
                                prop.best.template
                            ),
                            verification: prop.best.verification,
                        });
                    }
                }
            } else if !v.passed && vf.benign_alerting().next().is_some() {
                if let Ok(prop) = synthesize(
                    &vf,
                    &Options {
                        provenance: vec![
                            "proposed by quell tune --check from the benign events".into()
                        ],
                        ..Options::default()
                    },
                ) {
                    rc.corrected = Some(Corrected {
                        yaml: prop.best.yaml,
                        how: format!(
                            "synthesized from the benign events ({})",
                            prop.best.template
                        ),
                        verification: prop.best.verification,
                    });
                }
            }
            rc.verification = Some(v);
        }
        per_rule.push(rc);
    }
    if !any_rule {
        problems.push(p(
            "the file has no `- rule:` item with `exceptions`",
            "write `- rule: NAME` with `exceptions:` and `override: {exceptions: append}`",
        ));
    }
    let ok = problems.is_empty()
        && per_rule.iter().all(|r| {
            r.verification.as_ref().is_some_and(|v| {
                v.loads && v.keep_alerting == v.keep_total && v.benign_silenced == v.benign_total
            })
        });
    Ok(CheckReport {
        ok,
        problems,
        rules: per_rule,
    })
}

fn semantic_problems(v: &Verification, rule: &str, problems: &mut Vec<Problem>) {
    if v.benign_silenced < v.benign_total {
        problems.push(p(
            format!(
                "{} of {} benign event(s) still alert for \"{rule}\", e.g. {}",
                v.benign_total - v.benign_silenced,
                v.benign_total,
                v.benign_still_alerting.first().cloned().unwrap_or_default()
            ),
            "compare the exception's values with those events' fields (exact paths, process names, parent)",
        ));
    }
    if v.keep_alerting < v.keep_total {
        problems.push(p(
            format!(
                "it silences {} of {} keep event(s) (real attacks that must keep alerting), e.g. {}",
                v.keep_total - v.keep_alerting,
                v.keep_total,
                v.keep_silenced.first().cloned().unwrap_or_default()
            ),
            "narrow it: add the actor's executable and parent, or the exact target path",
        ));
    }
    if let Some(b) = v.blocking.first() {
        problems.push(p(
            format!(
                "over history it would silence {} alert(s) outside the benign set that are not known to be benign, e.g. {} ({})",
                v.blast_radius.blocking, b.description, b.verdict
            ),
            "narrow it (the actor's lineage, the exact target) until it silences only the benign events and alerts triage rates likely false positive",
        ));
    } else if v.blast_radius.marked_real > 0 {
        problems.push(p(
            format!(
                "over history it would have silenced {} alert(s) people marked real",
                v.blast_radius.marked_real
            ),
            "narrow it until the blast radius holds only benign clusters",
        ));
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
  output: log cleared (path=%fs.path.name process=%proc.name exepath=%proc.exepath parent=%proc.pname image=%container.image.repository)
  priority: WARNING
"#;

    fn rules() -> Vec<RulesFile> {
        vec![RulesFile {
            name: "rules.yaml".into(),
            text: RULES.into(),
        }]
    }

    fn ev(parent: &str) -> String {
        format!(
            r#"{{"evt.type":"unlinkat","proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.pname":"{parent}","fs.path.name":"/var/log/dpkg.log","container.image.repository":"httpd"}}"#
        )
    }

    /// The chat assistant's answer from the story: entries without `name`, a `condition:`
    /// where `fields`/`comps`/`values` belong, no `override`.
    pub(crate) const CHAT_ANSWER: &str = "- rule: Clear Log Activities\n  exceptions:\n    - condition: container.image.repository = \"httpd\" and fs.path.name = \"/var/log/dpkg.log\"\n";

    #[test]
    fn story_invalid_exception() {
        let rules = rules();
        let benign = parse_records(&ev("bash"), "b").unwrap();
        let r = check(&rules, CHAT_ANSWER, &benign, &[], &[]).unwrap();
        assert!(!r.ok);
        let whats: Vec<&str> = r.problems.iter().map(|p| p.what.as_str()).collect();
        assert!(whats.iter().any(|w| w.contains("no `name`")), "{whats:#?}");
        assert!(
            whats
                .iter()
                .any(|w| w.contains("`condition:` is not an exception key")),
            "{whats:#?}"
        );
        assert!(
            whats.iter().any(|w| w.contains("without `override`")),
            "{whats:#?}"
        );
        assert!(
            whats
                .iter()
                .any(|w| w.starts_with("Falco's loader: LOAD_ERR_YAML_VALIDATE")),
            "{whats:#?}"
        );
        let c = r.rules[0].corrected.as_ref().unwrap();
        assert!(c.verification.passed, "{c:#?}");
        assert!(c.yaml.contains("      fields: [container.image.repository, fs.path.name]\n      comps: [=, =]\n      values:\n        - [httpd, /var/log/dpkg.log]\n  override:\n    exceptions: append\n"), "{}", c.yaml);
        // The corrected form passes --check itself.
        let again = check(&rules, &c.yaml, &benign, &[], &[]).unwrap();
        assert!(again.ok, "{:#?}", again.problems);
    }

    #[test]
    fn corrected_form_that_silences_an_attack_is_replaced() {
        let rules = rules();
        let benign = parse_records(&ev("bash"), "b").unwrap();
        let keep = parse_records(&ev("sh"), "k").unwrap();
        let r = check(&rules, CHAT_ANSWER, &benign, &keep, &[]).unwrap();
        let c = r.rules[0].corrected.as_ref().unwrap();
        assert!(c.how.starts_with("synthesized"), "{c:#?}");
        assert!(c.verification.passed);
        assert!(r
            .problems
            .iter()
            .any(|p| p.what.contains("even in valid form")));
    }

    /// A corrected block that would silence a past alert people marked real, or one triage
    /// rates likely real, is never offered: without benign events there is no corrected
    /// block at all; with them, the narrower synthesized one that leaves it alerting.
    #[test]
    fn corrected_form_that_silences_a_real_past_alert_is_not_offered() {
        let rules = rules();
        let real = ev("sh").replace('}', r#","quell.decision":"real"}"#);
        let history = parse_records(&[ev("bash"), real].join("\n"), "h").unwrap();
        let r = check(&rules, CHAT_ANSWER, &[], &[], &history).unwrap();
        assert!(!r.ok);
        assert!(
            r.rules[0].corrected.is_none(),
            "{:#?}",
            r.rules[0].corrected
        );
        assert!(
            r.problems
                .iter()
                .any(|p| p.what.contains("even in valid form")
                    && p.fix.contains("no corrected block is offered")),
            "{:#?}",
            r.problems
        );
        let benign = parse_records(&ev("bash"), "b").unwrap();
        let r = check(&rules, CHAT_ANSWER, &benign, &[], &history).unwrap();
        let c = r.rules[0].corrected.as_ref().expect("a synthesized block");
        assert!(c.how.starts_with("synthesized"), "{c:#?}");
        assert!(c.verification.passed, "{c:#?}");
        assert_eq!(c.verification.blast_radius.marked_real, 0, "{c:#?}");
    }

    /// The story's first exception as a chat assistant wrote it, indented with tabs: the tab
    /// problem is said with its line, and the other problems and a corrected block follow.
    #[test]
    fn tabs_are_a_problem_and_the_rest_is_still_checked() {
        let rules = rules();
        let benign = parse_records(&ev("bash"), "b").unwrap();
        let tabbed = CHAT_ANSWER.replace("  ", "\t");
        assert!(tabbed.contains('\t'));
        let r = check_named(&rules, "chat.yaml", &tabbed, &benign, &[], &[]).unwrap();
        assert!(!r.ok);
        let whats: Vec<&str> = r.problems.iter().map(|p| p.what.as_str()).collect();
        assert!(
            whats
                .iter()
                .any(|w| w.contains("indents with tabs (chat.yaml:2)")),
            "{whats:#?}"
        );
        assert!(whats.iter().any(|w| w.contains("no `name`")), "{whats:#?}");
        let c = r.rules[0].corrected.as_ref().expect("a corrected block");
        assert!(c.verification.passed, "{c:#?}");
        assert!(!c.yaml.contains('\t'));
        assert!(!untab("- rule: A\n").1);
    }

    #[test]
    fn other_problems() {
        let rules = rules();
        let r = check(&rules, "- rule: Clear Log Activity\n  exceptions:\n    - name: a\n      fields: [proc.name]\n      values: [[rm]]\n  override:\n    exceptions: append\n", &[], &[], &[]).unwrap();
        assert!(
            r.problems[0].fix.contains("\"Clear Log Activities\""),
            "{:?}",
            r.problems
        );
        let r = check(&rules, ": [", &[], &[], &[]).unwrap();
        assert!(r.problems[0].what.starts_with("the file is not valid YAML"));
        let r = check(&rules, "- list: x\n  items: []\n", &[], &[], &[]).unwrap();
        assert!(!r.ok);
        let quote = "- rule: Clear Log Activities\n  exceptions:\n    - name: q\n      fields: [proc.cmdline]\n      comps: [=]\n      values:\n        - ['sh -c \"rm x\"']\n  override:\n    exceptions: append\n";
        let r = check(&rules, quote, &[], &[], &[]).unwrap();
        assert!(
            r.problems
                .iter()
                .any(|p| p.what.contains("wraps values with spaces")),
            "{:#?}",
            r.problems
        );
        let good = "- rule: Clear Log Activities\n  exceptions:\n    - name: a\n      fields: [proc.pname, fs.path.name]\n      comps: [=, =]\n      values: [[bash, /var/log/dpkg.log]]\n  override:\n    exceptions: append\n";
        let benign = parse_records(&ev("bash"), "b").unwrap();
        let r = check(&rules, good, &benign, &[], &[]).unwrap();
        assert!(r.ok, "{:#?}", r.problems);
    }

    #[test]
    fn problems_are_located_in_the_users_file() {
        let rules = rules();
        let bad = "- rule: Clear Log Activities\n  exceptions:\n    - name: a\n      fields: [proc.pname, fs.path.name]\n      comps: [=, foo]\n      values: [[bash, /var/log/dpkg.log]]\n  override:\n    exceptions: append\n";
        let r = check_named(&rules, "mine.yaml", bad, &[], &[], &[]).unwrap();
        let whats: Vec<&str> = r.problems.iter().map(|p| p.what.as_str()).collect();
        assert!(
            whats
                .iter()
                .any(|w| w.starts_with("Falco's loader: LOAD_ERR_VALIDATE")
                    && w.ends_with("(mine.yaml:3:7)")),
            "{whats:#?}"
        );
        assert!(
            whats.iter().all(|w| !w.contains("quell-exception.yaml")),
            "{whats:#?}"
        );
        // Reported once, not once per rule item.
        assert_eq!(
            whats
                .iter()
                .filter(|w| w.contains("LOAD_ERR_VALIDATE"))
                .count(),
            1
        );
        let r = check_named(
            &rules,
            "mine.yaml",
            "- rule: x\n  desc: [a\n",
            &[],
            &[],
            &[],
        )
        .unwrap();
        assert!(
            r.problems[0]
                .what
                .starts_with("the file is not valid YAML: error at line")
                && r.problems[0].what.contains("(mine.yaml:"),
            "{:?}",
            r.problems
        );
        // Warnings the rules report on their own are not the proposal's.
        let noisy = vec![RulesFile {
            name: "rules.yaml".into(),
            text: format!("{RULES}- list: unused_l\n  items: [a]\n- macro: unused_m\n  condition: proc.name = x\n"),
        }];
        let good = "- rule: Clear Log Activities\n  exceptions:\n    - name: a\n      fields: [proc.pname, fs.path.name]\n      comps: [=, =]\n      values: [[bash, /var/log/dpkg.log]]\n  override:\n    exceptions: append\n";
        let r = check_named(&noisy, "mine.yaml", good, &[], &[], &[]).unwrap();
        assert!(
            r.problems.iter().all(|p| !p.what.contains("LOAD_UNUSED")),
            "{:#?}",
            r.problems
        );
        // A warning the proposal causes in the rules is said to be there.
        let unuse = "- rule: Clear Log Activities\n  condition: evt.type = unlink\n  override:\n    condition: replace\n    exceptions: append\n  exceptions:\n    - name: a\n      fields: [proc.pname]\n      values: [[bash]]\n";
        let used = vec![RulesFile {
            name: "rules.yaml".into(),
            text: "- macro: m\n  condition: proc.name = x\n- rule: Clear Log Activities\n  desc: d\n  condition: evt.type = unlink and not m\n  output: o\n  priority: WARNING\n".into(),
        }];
        let r = check_named(&used, "mine.yaml", unuse, &[], &[], &[]).unwrap();
        assert!(
            r.problems
                .iter()
                .any(|p| p.what.contains("LOAD_UNUSED_MACRO")
                    && p.what.contains("(rules.yaml:1:3)")
                    && p.what.contains("caused by this file")),
            "{:#?}",
            r.problems
        );
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut src = String::from(
            "- rule: Clear Log Activities\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
        );
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            src.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
        }
        src.push_str("  exceptions: *a8\n");
        let r = check_named(&rules(), "bomb.yaml", &src, &[], &[], &[]).unwrap();
        assert!(!r.ok);
        assert!(
            r.problems[0].what.contains("document too large")
                && r.problems[0].what.contains("(bomb.yaml:"),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn conditions_to_tuples() {
        let s = condition_to_spec("(proc.name = rm and fd.name startswith /var/log/) or (proc.name = unlink and fd.name startswith /srv/log/)", "x").unwrap();
        assert_eq!(s.fields, vec!["proc.name", "fd.name"]);
        assert_eq!(s.comps, vec!["=", "startswith"]);
        assert_eq!(s.values.len(), 2);
        let s = condition_to_spec("proc.name in (rm, unlink)", "x").unwrap();
        assert_eq!(
            s.values[0][0],
            ExVal::Many(vec!["rm".into(), "unlink".into()])
        );
        assert_eq!(
            condition_to_spec("not proc.name = rm", "x"),
            Err(SpecError::NotComparisons)
        );
        assert_eq!(
            condition_to_spec("proc.name = rm or fd.name = x", "x"),
            Err(SpecError::DifferentFields)
        );
        assert_eq!(
            condition_to_spec("toupper(proc.name) = RM", "x"),
            Err(SpecError::TransformerField)
        );
        let e = condition_to_spec("fd.name exists", "x").unwrap_err();
        assert_eq!(
            e,
            SpecError::NoConstant {
                field: "fd.name".into(),
                comp: "exists".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "`fd.name exists` has no constant value to put in `values`"
        );
        let e = condition_to_spec("(((", "x").unwrap_err();
        assert!(matches!(e, SpecError::Parse(_)), "{e:?}");
        assert!(e.to_string().starts_with("the condition does not parse: "));
    }
}
