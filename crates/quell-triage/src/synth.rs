//! Exception synthesis: the narrowest Falco exception over stable identity fields that
//! covers every benign event and no keep event, generalised only where the benign
//! events differ, with ranked alternatives. Every candidate is verified; the block
//! returned is byte for byte the block verified.

use std::collections::BTreeSet;

use quell_events::FlatEvent;
use serde::Serialize;

use crate::cluster::{mask, Signature, TARGET_FIELDS};
use crate::emit::{block_yaml, comments, slug, ExVal, ExceptionSpec, Style};
use crate::input::{text, Record};
use crate::verify::{Verification, Verifier};

/// Fields that hold paths (generalised by directory).
const PATH_FIELDS: &[&str] = &[
    "proc.exepath",
    "fd.name",
    "fd.directory",
    "fs.path.name",
    "fs.path.source",
    "fs.path.target",
    "evt.arg.name",
    "evt.arg.path",
    "evt.arg.pathname",
];
/// Most distinct values an `in` list takes.
const MAX_IN: usize = 6;
/// Workload fields, used when every benign event has them.
const WORKLOAD_FIELDS: &[&str] = &["container.image.repository", "k8s.ns.name"];

/// The templates tried, in order of preference: `T` is the target field, `W` the workload
/// fields. Actor (+ lineage) + action target + workload first, as Falco's guidance says.
const TEMPLATES: &[(&str, &[&str])] = &[
    (
        "actor+parent+target+workload",
        &["proc.exepath", "proc.pname", "T", "W"],
    ),
    (
        "actor+lineage+target+workload",
        &["proc.exepath", "proc.pname", "proc.aname[2]", "T", "W"],
    ),
    (
        "name+parent+target+workload",
        &["proc.name", "proc.pname", "T", "W"],
    ),
    ("actor+target+workload", &["proc.exepath", "T", "W"]),
    ("name+target+workload", &["proc.name", "T", "W"]),
    (
        "actor+parent+target+user+workload",
        &["proc.exepath", "proc.pname", "T", "user.name", "W"],
    ),
    ("command+target+workload", &["proc.cmdline", "T", "W"]),
    (
        "actor+parent+command+workload",
        &["proc.exepath", "proc.pname", "proc.cmdline", "W"],
    ),
    ("target+workload", &["T", "W"]),
];

/// Options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Emit `append: true` instead of `override`.
    pub legacy: bool,
    /// Provenance lines for the comment header (sources of the events, tool version).
    pub provenance: Vec<String>,
    /// Most alternatives returned.
    pub max_alternatives: usize,
}

/// One verified candidate.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// Which template produced it.
    pub template: String,
    /// The exceptions.
    pub exceptions: Vec<ExceptionSpec>,
    /// The full YAML (comments + block), exactly as verified.
    pub yaml: String,
    /// Its verification.
    pub verification: Verification,
}

/// The result: the best verified candidate and the ranked alternatives.
#[derive(Clone, Debug, Serialize)]
pub struct Proposal {
    /// The rule.
    pub rule: String,
    /// The best candidate.
    pub best: Candidate,
    /// Other candidates, best first (passing ones first).
    pub alternatives: Vec<Candidate>,
}

/// Why no exception can be proposed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SynthError {
    /// No benign events.
    #[error("the benign set is empty: give at least one event or alert the rule raised")]
    NoBenign,
    /// None of the benign events alert for the rule.
    #[error("none of the {given} benign event(s) trigger the rule \"{rule}\": there is nothing to silence")]
    BenignDoNotAlert {
        /// The rule.
        rule: String,
        /// Events given.
        given: usize,
    },
    /// No candidate separates benign from keep events.
    #[error(
        "no exception over stable fields separates the benign events from the keep events: {0}"
    )]
    NoSeparation(String),
}

/// A field's generalisation over the benign values.
fn generalise(field: &str, values: &[String]) -> Option<(String, ExVal)> {
    let distinct: BTreeSet<&str> = values.iter().map(String::as_str).collect();
    if distinct.is_empty()
        || distinct
            .iter()
            .any(|v| v.contains('\n') || v.contains('\r'))
    {
        return None;
    }
    if distinct.len() == 1 {
        let v = *distinct.iter().next()?;
        if safe_for_eq(v) {
            return Some(("=".into(), ExVal::One(v.to_string())));
        }
        // A quote (or escape) cannot survive Falco's quoting: use the safe prefix.
        let prefix = safe_prefix(v);
        return (prefix.len() >= 4).then(|| ("startswith".into(), ExVal::One(prefix)));
    }
    let masked: BTreeSet<String> = distinct.iter().map(|v| mask(v)).collect();
    let lcp = common_prefix(&distinct);
    if masked.len() == 1 && lcp.len() >= 4 && safe_for_eq(&lcp) {
        return Some(("startswith".into(), ExVal::One(lcp)));
    }
    if distinct.len() <= MAX_IN && distinct.iter().all(|v| safe_in_list(v)) {
        return Some((
            "in".into(),
            ExVal::Many(distinct.iter().map(|s| s.to_string()).collect()),
        ));
    }
    if PATH_FIELDS.contains(&field) {
        let dir = match lcp.rfind('/') {
            Some(i) => lcp[..=i].to_string(),
            None => String::new(),
        };
        if dir.matches('/').count() >= 3 && safe_for_eq(&dir) {
            return Some(("startswith".into(), ExVal::One(dir)));
        }
        let dirs: BTreeSet<String> = distinct
            .iter()
            .filter_map(|v| v.rfind('/').map(|i| v[..i].to_string()))
            .filter(|d| !d.is_empty())
            .collect();
        if dirs.len() <= MAX_IN
            && dirs.len()
                == distinct
                    .iter()
                    .filter(|v| v.contains('/'))
                    .count()
                    .min(dirs.len())
            && dirs
                .iter()
                .all(|d| safe_in_list(d) && d.matches('/').count() >= 2)
        {
            return Some(("pmatch".into(), ExVal::Many(dirs.into_iter().collect())));
        }
        return None;
    }
    // A token every value shares.
    let first = distinct.iter().next()?;
    let token = first
        .split_whitespace()
        .filter(|t| t.len() >= 4 && safe_for_eq(t) && !t.contains(' '))
        .filter(|t| distinct.iter().all(|v| v.contains(*t)))
        .max_by_key(|t| t.len())?;
    Some(("contains".into(), ExVal::One(token.to_string())))
}

/// Whether a value survives Falco's compile step with `=`-like operators: `quote_item`
/// wraps a value with a space in double quotes without escaping, so a double quote or a
/// backslash inside breaks it; a value without a space is a bare word, which must not
/// contain characters that end a bare word or start a quoted string.
pub fn safe_for_eq(v: &str) -> bool {
    if v.is_empty() || v.contains('"') || v.contains('\\') || v.starts_with('\'') {
        return false;
    }
    if v.contains(' ') {
        return true;
    }
    !v.contains(|c: char| "(),=<>!'\t".contains(c))
}

/// Whether a value can be an item of an `in (...)` list.
pub fn safe_in_list(v: &str) -> bool {
    safe_for_eq(v) && (v.contains(' ') || !v.contains(','))
}

fn safe_prefix(v: &str) -> String {
    let cut = v.find(['"', '\\', '\'', '\n']).unwrap_or(v.len());
    let p = &v[..cut];
    if safe_for_eq(p) {
        p.to_string()
    } else {
        String::new()
    }
}

fn common_prefix(values: &BTreeSet<&str>) -> String {
    let mut it = values.iter();
    let Some(first) = it.next() else {
        return String::new();
    };
    let mut end = first.len();
    for v in it {
        end = end.min(
            first
                .bytes()
                .zip(v.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    while !first.is_char_boundary(end) {
        end -= 1;
    }
    first[..end].to_string()
}

/// Benign events grouped by which target field they carry (a truncation names `fd.name`,
/// a deletion `fs.path.name`): each group gets its own exception.
fn partitions<'r>(benign: &[&'r Record]) -> Vec<(Option<&'static str>, Vec<&'r FlatEvent>)> {
    let mut out: Vec<(Option<&'static str>, Vec<&'r FlatEvent>)> = Vec::new();
    for r in benign {
        let t = TARGET_FIELDS
            .iter()
            .copied()
            .find(|k| text(&r.event, k).is_some());
        match out.iter_mut().find(|(k, _)| *k == t) {
            Some((_, v)) => v.push(&r.event),
            None => out.push((t, vec![&r.event])),
        }
    }
    out
}

/// Builds the exception of one template over one partition, if every field is usable.
fn build(
    template: &[&str],
    tfield: Option<&'static str>,
    events: &[&FlatEvent],
    name: &str,
) -> Option<ExceptionSpec> {
    let mut fields: Vec<String> = Vec::new();
    for f in template {
        match *f {
            "T" => fields.push(tfield?.to_string()),
            "W" => {
                for w in WORKLOAD_FIELDS {
                    if events.iter().all(|e| text(e, w).is_some()) {
                        fields.push(w.to_string());
                    }
                }
            }
            other => fields.push(other.to_string()),
        }
    }
    let mut comps = Vec::new();
    let mut tuple = Vec::new();
    for f in &fields {
        let vals: Option<Vec<String>> = events.iter().map(|e| text(e, f)).collect();
        let (c, v) = generalise(f, &vals?)?;
        comps.push(c);
        tuple.push(v);
    }
    if fields.is_empty() {
        return None;
    }
    Some(ExceptionSpec {
        name: name.to_string(),
        fields,
        comps,
        values: vec![tuple],
    })
}

fn exception_name(events: &[&FlatEvent], tfield: Option<&str>, idx: usize) -> String {
    let first = events.first();
    let actor = first.and_then(|e| text(e, "proc.name")).unwrap_or_default();
    let tgt = match (first, tfield) {
        (Some(e), Some(t)) => text(e, t)
            .map(|p| p.rsplit('/').next().unwrap_or_default().to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let base = slug(&["quell", &actor, &tgt]);
    if idx == 0 {
        base
    } else {
        format!("{base}_{}", idx + 1)
    }
}

fn header(rule: &str, v: &Verification, opts: &Options, clusters: &BTreeSet<String>) -> String {
    let mut lines = vec![format!(
        "quell tune: exception for rule \"{rule}\", for the benign cluster(s) {}",
        clusters.iter().cloned().collect::<Vec<_>>().join(", ")
    )];
    for p in &opts.provenance {
        lines.push(format!("Provenance: {p}"));
    }
    lines.push("Verified before printing, by loading these exact bytes after the rules:".into());
    lines.push(format!(
        "  loads: {} ({} error(s), {} warning(s){})",
        if v.loads { "yes" } else { "no" },
        v.errors.len(),
        v.warnings.len(),
        if opts.legacy {
            "; Falco's deprecation warning for `append: true` is expected"
        } else {
            ""
        }
    ));
    lines.push(format!(
        "  benign events silenced: {} of {}",
        v.benign_silenced, v.benign_total
    ));
    lines.push(format!(
        "  keep events still alerting: {} of {}",
        v.keep_alerting, v.keep_total
    ));
    let b = &v.blast_radius;
    lines.push(format!(
        "  blast radius over history: {} of {} past alert(s) of this rule silenced, {} outside the benign cluster(s), {} marked real",
        b.silenced, b.history_alerts, b.outside_benign_clusters, b.marked_real
    ));
    for c in b.clusters.iter().take(5) {
        let ex = c.examples.first().cloned().unwrap_or_default();
        lines.push(format!(
            "    cluster {}{}: {} (e.g. {ex})",
            c.cluster,
            if c.benign_cluster { " (benign)" } else { "" },
            c.count
        ));
    }
    lines.push(
        "The final decision is a person's: review before loading it after your rules.".into(),
    );
    comments(&lines)
}

/// Emits the final text (header + block) and verifies those exact bytes. The header
/// carries the figures of a first verification of the block; the returned verification
/// is the one of the final text, and the two must agree.
pub fn emit_verified(
    vf: &Verifier<'_>,
    exceptions: &[ExceptionSpec],
    opts: &Options,
) -> (String, Verification) {
    let style = if opts.legacy {
        Style::Legacy
    } else {
        Style::Override
    };
    let block = block_yaml(vf.rule(), exceptions, style);
    let first = vf.verify(&block, opts.legacy);
    finalize(vf, &block, first, opts)
}

/// The header for a block verified as `first`, then the verification of the final text.
fn finalize(
    vf: &Verifier<'_>,
    block: &str,
    first: Verification,
    opts: &Options,
) -> (String, Verification) {
    let text = format!(
        "{}{}",
        header(vf.rule(), &first, opts, vf.benign_clusters()),
        block
    );
    let mut fin = vf.verify(&text, opts.legacy);
    if fin != first {
        // Comments cannot change the meaning; if they did, refuse the block.
        fin.passed = false;
        fin.errors
            .push("verification of the printed text differs from the block's verification".into());
    }
    (text, fin)
}

/// Verifies blocks on all cores (each verification loads a fresh engine).
fn verify_all(vf: &Verifier<'_>, blocks: &[String], legacy: bool) -> Vec<Verification> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
        .min(blocks.len().max(1));
    if threads <= 1 {
        return blocks.iter().map(|b| vf.verify(b, legacy)).collect();
    }
    let mut out: Vec<Option<Verification>> = vec![None; blocks.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    blocks
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(i, b)| (i, vf.verify(b, legacy)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            // A verification thread cannot panic on input (verify handles every error);
            // should one die anyway, its blocks are verified again below.
            if let Ok(v) = h.join() {
                for (i, r) in v {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = Some(r);
                    }
                }
            }
        }
    });
    out.into_iter()
        .zip(blocks)
        .map(|(v, b)| v.unwrap_or_else(|| vf.verify(b, legacy)))
        .collect()
}

fn rank_key(v: &Verification, order: usize) -> (bool, usize, usize, usize, usize, usize) {
    (
        !v.passed,
        v.keep_total - v.keep_alerting,
        v.blast_radius.marked_real,
        v.blast_radius.outside_benign_clusters,
        v.benign_total - v.benign_silenced,
        order,
    )
}

/// Synthesizes and verifies candidate exceptions for the verifier's rule.
pub fn synthesize(vf: &Verifier<'_>, opts: &Options) -> Result<Proposal, SynthError> {
    if vf.benign_given() == 0 {
        return Err(SynthError::NoBenign);
    }
    let benign: Vec<&Record> = vf.benign_alerting().collect();
    if benign.is_empty() {
        return Err(SynthError::BenignDoNotAlert {
            rule: vf.rule().to_string(),
            given: vf.benign_given(),
        });
    }
    let parts = partitions(&benign);
    let mut seen: BTreeSet<Vec<ExceptionSpec>> = BTreeSet::new();
    let style = if opts.legacy {
        Style::Legacy
    } else {
        Style::Override
    };
    let mut built: Vec<(usize, &str, Vec<ExceptionSpec>, String)> = Vec::new();
    for (order, (tname, template)) in TEMPLATES.iter().enumerate() {
        let mut exs = Vec::new();
        for (i, (tfield, events)) in parts.iter().enumerate() {
            let name = exception_name(events, *tfield, i);
            match build(template, *tfield, events, &name) {
                Some(e) => exs.push(e),
                None => break,
            }
        }
        if exs.len() != parts.len() || !seen.insert(exs.clone()) {
            continue;
        }
        let block = block_yaml(vf.rule(), &exs, style);
        built.push((order, tname, exs, block));
    }
    let blocks: Vec<String> = built.iter().map(|b| b.3.clone()).collect();
    let firsts = verify_all(vf, &blocks, opts.legacy);
    let mut ranked: Vec<(usize, &str, Vec<ExceptionSpec>, String, Verification)> = built
        .into_iter()
        .zip(firsts)
        .map(|((o, t, e, b), v)| (o, t, e, b, v))
        .collect();
    ranked.sort_by_key(|(o, _, _, _, v)| rank_key(v, *o));
    let max = if opts.max_alternatives == 0 {
        5
    } else {
        opts.max_alternatives
    };
    // Only what is returned gets its final text (header + block) built and verified.
    let cands: Vec<(usize, Candidate)> = ranked
        .into_iter()
        .take(max + 1)
        .map(|(o, t, exs, block, first)| {
            let (yaml, verification) = finalize(vf, &block, first, opts);
            (
                o,
                Candidate {
                    template: t.to_string(),
                    exceptions: exs,
                    yaml,
                    verification,
                },
            )
        })
        .collect();
    let mut it = cands.into_iter().map(|(_, c)| c);
    let Some(best) = it.next() else {
        return Err(SynthError::NoSeparation(
            "the benign events share no usable stable field (values differ too much, or hold characters Falco's exception quoting cannot carry)".into(),
        ));
    };
    if !best.verification.passed {
        let v = &best.verification;
        let why = if v.keep_alerting < v.keep_total {
            format!(
                "the narrowest candidate ({}) also silences {} keep event(s), e.g. {}",
                best.template,
                v.keep_total - v.keep_alerting,
                v.keep_silenced.first().cloned().unwrap_or_default()
            )
        } else if !v.loads {
            format!(
                "no candidate loads cleanly: {}",
                v.errors
                    .iter()
                    .chain(&v.warnings)
                    .next()
                    .cloned()
                    .unwrap_or_default()
            )
        } else {
            format!(
                "no candidate silences every benign event; still alerting: {}",
                v.benign_still_alerting.first().cloned().unwrap_or_default()
            )
        };
        return Err(SynthError::NoSeparation(why));
    }
    let alternatives = it.collect();
    Ok(Proposal {
        rule: vf.rule().to_string(),
        best,
        alternatives,
    })
}

/// The benign events' cluster ids (for provenance).
pub fn clusters_of(rule: &str, records: &[Record]) -> BTreeSet<String> {
    records
        .iter()
        .map(|r| Signature::of(rule, &r.event).id())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_records;
    use crate::verify::RulesFile;

    const RULES: &str = r#"
- rule: Clear Log Activities
  desc: log cleared
  condition: (evt.type in (unlink, unlinkat) and fs.path.name startswith /var/log/) or (evt.type = openat and fd.name startswith /var/log/)
  output: log cleared (path=%fs.path.name file=%fd.name process=%proc.name exepath=%proc.exepath parent=%proc.pname)
  priority: WARNING
"#;

    fn rules() -> Vec<RulesFile> {
        vec![RulesFile {
            name: "rules.yaml".into(),
            text: RULES.into(),
        }]
    }

    fn del(exe: &str, parent: &str, gp: &str, path: &str, image: &str) -> String {
        let name = exe.rsplit('/').next().unwrap();
        format!(
            r#"{{"evt.type":"unlinkat","proc.name":"{name}","proc.exepath":"{exe}","proc.pname":"{parent}","proc.aname[2]":"{gp}","fs.path.name":"{path}","container.image.repository":"{image}","proc.cmdline":"{name} {path}"}}"#
        )
    }

    #[test]
    fn generalisation() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            generalise("proc.name", &s(&["rm", "rm"])),
            Some(("=".into(), ExVal::One("rm".into())))
        );
        assert_eq!(
            generalise("proc.name", &s(&["rm", "unlink"])),
            Some(("in".into(), ExVal::Many(s(&["rm", "unlink"]))))
        );
        assert_eq!(
            generalise(
                "fd.name",
                &s(&["/var/log/app.1.log", "/var/log/app.22.log"])
            ),
            Some(("startswith".into(), ExVal::One("/var/log/app.".into())))
        );
        let many: Vec<String> = (0..10).map(|i| format!("/var/log/app/x{i}y.log")).collect();
        assert_eq!(
            generalise("fd.name", &many),
            Some(("startswith".into(), ExVal::One("/var/log/app/".into())))
        );
        let many: Vec<String> = (0..10)
            .map(|i| {
                format!(
                    "/srv/app/{}/out.log",
                    ["a", "bb", "ccc"][i % 3].repeat(i + 1)
                )
            })
            .collect();
        assert_eq!(
            generalise("fd.name", &many),
            Some(("startswith".into(), ExVal::One("/srv/app/".into())))
        );
        // A quoted value with a space cannot use `=`.
        assert_eq!(
            generalise("proc.cmdline", &s(&["sh -c \"rm x\""])),
            Some(("startswith".into(), ExVal::One("sh -c ".into())))
        );
        let cmds: Vec<String> = [
            "alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta",
        ]
        .iter()
        .map(|w| format!("{w} --cleanup-logs {w}"))
        .collect();
        assert_eq!(
            generalise("proc.cmdline", &cmds),
            Some(("contains".into(), ExVal::One("--cleanup-logs".into())))
        );
        assert!(safe_for_eq("a b"));
        assert!(!safe_for_eq("a \"b\""));
        assert!(!safe_for_eq("f(x)"));
        assert!(safe_for_eq("f (x)"));
    }

    #[test]
    fn narrowest_exception_keeps_the_attack() {
        let rules = rules();
        let benign = parse_records(
            &del("/usr/bin/rm", "bash", "runc", "/var/log/dpkg.log", "httpd"),
            "benign.jsonl",
        )
        .unwrap();
        // The attack variant: same binary, same file, same image, but from the web server's shell.
        let keep = parse_records(
            &del("/usr/bin/rm", "sh", "httpd", "/var/log/dpkg.log", "httpd"),
            "keep",
        )
        .unwrap();
        let hist = parse_records(
            &[
                del("/usr/bin/rm", "bash", "runc", "/var/log/dpkg.log", "httpd"),
                del("/usr/bin/rm", "bash", "runc", "/var/log/auth.log", "httpd"),
            ]
            .join("\n"),
            "h",
        )
        .unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &keep, &hist).unwrap();
        let p = synthesize(
            &vf,
            &Options {
                provenance: vec!["1 benign event from benign.jsonl".into()],
                ..Options::default()
            },
        )
        .unwrap();
        let b = &p.best;
        assert!(b.verification.passed, "{b:#?}");
        assert_eq!(b.template, "actor+parent+target+workload");
        assert_eq!(
            b.exceptions[0].fields,
            vec![
                "proc.exepath",
                "proc.pname",
                "fs.path.name",
                "container.image.repository"
            ]
        );
        assert_eq!(b.verification.blast_radius.silenced, 1);
        assert!(b
            .yaml
            .starts_with("# quell tune: exception for rule \"Clear Log Activities\""));
        assert!(b
            .yaml
            .contains("# Provenance: 1 benign event from benign.jsonl\n"));
        assert!(b.yaml.contains("  override:\n    exceptions: append\n"));
        // The printed text is the verified text.
        assert_eq!(vf.verify(&b.yaml, false), b.verification);
        // Alternatives are ranked: passing ones before failing ones; a failing one says why.
        let passing: Vec<bool> = p
            .alternatives
            .iter()
            .map(|c| c.verification.passed)
            .collect();
        assert!(passing.windows(2).all(|w| w[0] >= w[1]), "{passing:?}");
        assert!(p
            .alternatives
            .iter()
            .any(|c| !c.verification.passed && c.verification.keep_alerting == 0));
    }

    #[test]
    fn mixed_truncate_and_delete_get_two_exceptions() {
        let rules = rules();
        let trunc = r#"{"evt.type":"openat","proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron","fd.name":"/var/log/app.log"}"#;
        let delete = r#"{"evt.type":"unlinkat","proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron","fs.path.name":"/var/log/app.log.5"}"#;
        let benign = parse_records(&[trunc, delete].join("\n"), "b").unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &[]).unwrap();
        let p = synthesize(
            &vf,
            &Options {
                legacy: true,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(p.best.exceptions.len(), 2);
        assert_eq!(p.best.exceptions[1].name, "quell_logrotate_app_log_5_2");
        assert!(p.best.yaml.ends_with("  append: true\n"));
        assert!(p.best.verification.passed);
    }

    #[test]
    fn refuses_when_nothing_separates() {
        let rules = rules();
        let e = del("/usr/bin/rm", "bash", "runc", "/var/log/dpkg.log", "httpd");
        let benign = parse_records(&e, "b").unwrap();
        let keep = parse_records(&e, "k").unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &keep, &[]).unwrap();
        let err = synthesize(&vf, &Options::default()).unwrap_err();
        assert!(matches!(err, SynthError::NoSeparation(_)), "{err}");
        assert!(err.to_string().contains("silences 1 keep event"), "{err}");
        let vf = Verifier::new(&rules, "Clear Log Activities", &[], &[], &[]).unwrap();
        assert_eq!(
            synthesize(&vf, &Options::default()).unwrap_err(),
            SynthError::NoBenign
        );
        let other =
            parse_records(r#"{"evt.type":"unlinkat","fs.path.name":"/tmp/x"}"#, "b").unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &other, &[], &[]).unwrap();
        assert!(matches!(
            synthesize(&vf, &Options::default()),
            Err(SynthError::BenignDoNotAlert { .. })
        ));
    }

    #[test]
    fn values_with_quotes_and_spaces_survive() {
        let rules = rules();
        let ev = r#"{"evt.type":"unlinkat","proc.name":"sh","proc.exepath":"/bin/sh","proc.pname":"my app","fs.path.name":"/var/log/a b.log","proc.cmdline":"sh -c \"rm '/var/log/a b.log'\""}"#;
        let benign = parse_records(ev, "b").unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &[]).unwrap();
        let p = synthesize(&vf, &Options::default()).unwrap();
        assert!(p.best.verification.passed, "{:#?}", p.best);
        assert!(
            p.best.yaml.contains("[/bin/sh, my app, /var/log/a b.log]"),
            "{}",
            p.best.yaml
        );
        for c in std::iter::once(&p.best).chain(&p.alternatives) {
            assert!(
                c.verification.loads,
                "{}: {:?}",
                c.yaml, c.verification.errors
            );
        }
    }
}
