//! What the loaded rules can possibly need from file opens: a necessary
//! condition on an opened path, so that a capture can drop, before it leaves
//! the kernel, an open no rule could match and no later event could look up.
//!
//! The analysis is sound by construction, never exact: for every rule that
//! can match an open event (`open`, `openat`, `openat2`, `creat`), it derives
//! from the condition tree a set of path atoms (exact names, prefixes,
//! suffixes, substrings) such that the condition can only be true when the
//! opened path satisfies one of them. A check it does not understand stands
//! for "anything" ([`PathPred::Top`]); `not` gives "anything" too; `or` unites;
//! `and` may keep any one side, and keeps the most selective. Rules on other
//! event types that read the file-descriptor table (`fd.name` of a `close`,
//! a `dup`, ...) add what they need, since an open dropped in the kernel leaves
//! its fd unknown to those events.
//!
//! The predicate speaks of the path as the capture resolves it (`fd.name`):
//! for an absolute path without `.`/`..` segments, repeated or trailing
//! slashes, that is the path string as given, which is the only case a
//! kernel-side filter should decide on (everything else is let through).

use std::collections::{BTreeMap, BTreeSet};

use crate::compile::CompiledRule;
use crate::syntax::{BaseOp, Check, Expr, Operand, Rhs, TArg};

/// The open-family event types the filter is about.
pub const OPEN_TYPES: [&str; 4] = ["open", "openat", "openat2", "creat"];

/// Event types whose decoding looks a file descriptor up in the fd table
/// (so an fd whose open was dropped is unknown to them).
pub const FD_CONSUMERS: [&str; 18] = [
    "close",
    "fcntl",
    "dup",
    "dup2",
    "dup3",
    "fchdir",
    "fchmod",
    "finit_module",
    "bind",
    "connect",
    "listen",
    "sendto",
    "sendmsg",
    "recvfrom",
    "recvmsg",
    "accept",
    "accept4",
    "close_range",
];

/// `fd.*` fields that only sockets have: an unknown fd and a known file both
/// lack them, so a filtered open cannot change them.
const SOCKET_FIELDS: [&str; 24] = [
    "fd.sip",
    "fd.cip",
    "fd.lip",
    "fd.rip",
    "fd.sport",
    "fd.cport",
    "fd.lport",
    "fd.rport",
    "fd.l4proto",
    "fd.sockfamily",
    "fd.net",
    "fd.cnet",
    "fd.snet",
    "fd.lnet",
    "fd.rnet",
    "fd.port",
    "fd.proto",
    "fd.sproto",
    "fd.cproto",
    "fd.lproto",
    "fd.rproto",
    "fd.ip",
    "fd.connected",
    "fd.is_server",
];

/// One way a path can satisfy a predicate.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathAtom {
    /// The path is exactly this.
    Exact(String),
    /// The path starts with this.
    Prefix(String),
    /// The path ends with this.
    Suffix(String),
    /// The path contains this.
    Contains(String),
}

impl PathAtom {
    /// Whether `path` satisfies the atom.
    pub fn admits(&self, path: &str) -> bool {
        match self {
            PathAtom::Exact(s) => path == s,
            PathAtom::Prefix(s) => path.starts_with(s.as_str()),
            PathAtom::Suffix(s) => path.ends_with(s.as_str()),
            PathAtom::Contains(s) => path.contains(s.as_str()),
        }
    }

    /// A rough price of keeping this atom (lower is more selective).
    fn cost(&self) -> u32 {
        match self {
            PathAtom::Exact(_) => 1,
            PathAtom::Prefix(s) | PathAtom::Suffix(s) => 2 + if s.len() < 5 { 20 } else { 0 },
            PathAtom::Contains(s) => {
                if s.len() < 3 {
                    30
                } else {
                    4
                }
            }
        }
    }

    /// Atoms every path satisfies, or that a kernel check cannot use.
    fn is_trivial(&self) -> bool {
        match self {
            PathAtom::Exact(_) => false,
            PathAtom::Prefix(s) => s.is_empty() || s == "/",
            PathAtom::Suffix(s) => s.is_empty(),
            PathAtom::Contains(s) => s.len() < 2,
        }
    }
}

/// A necessary condition on a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathPred {
    /// Any path (no filtering possible).
    Top,
    /// One of these atoms must hold (an empty set: no path at all).
    Any(BTreeSet<PathAtom>),
}

impl PathPred {
    /// No path.
    pub fn bottom() -> PathPred {
        PathPred::Any(BTreeSet::new())
    }

    fn atoms<I: IntoIterator<Item = PathAtom>>(atoms: I) -> PathPred {
        let set: BTreeSet<PathAtom> = atoms.into_iter().collect();
        if set.iter().any(PathAtom::is_trivial) {
            PathPred::Top
        } else {
            PathPred::Any(set)
        }
    }

    /// Whether a path can satisfy the predicate.
    pub fn admits(&self, path: &str) -> bool {
        match self {
            PathPred::Top => true,
            PathPred::Any(s) => s.iter().any(|a| a.admits(path)),
        }
    }

    /// The union.
    pub fn or(self, o: PathPred) -> PathPred {
        match (self, o) {
            (PathPred::Any(mut a), PathPred::Any(b)) => {
                a.extend(b);
                PathPred::Any(a)
            }
            _ => PathPred::Top,
        }
    }

    fn cost(&self) -> u32 {
        match self {
            PathPred::Top => u32::MAX,
            PathPred::Any(s) => s.iter().map(PathAtom::cost).sum(),
        }
    }

    fn is_bottom(&self) -> bool {
        matches!(self, PathPred::Any(s) if s.is_empty())
    }
}

/// What the rules need from opens, per open-family event type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenFilter {
    /// `open`, `openat`, `openat2`, `creat` to the paths they must let through.
    pub per_type: BTreeMap<String, PathPred>,
    /// For each rule that contributed a constraint, why (for `--explain`-style output and tests).
    pub reasons: Vec<(String, PathPred)>,
}

impl OpenFilter {
    /// Whether an open of `path` (resolved, as `fd.name`) by event type `evt_type` must be kept.
    pub fn admits(&self, evt_type: &str, path: &str) -> bool {
        self.per_type.get(evt_type).is_none_or(|p| p.admits(path))
    }
}

/// Derives the open filter from the enabled rules.
pub fn open_filter(rules: &[CompiledRule]) -> OpenFilter {
    let mut per_type: BTreeMap<String, PathPred> = OPEN_TYPES
        .iter()
        .map(|t| (t.to_string(), PathPred::bottom()))
        .collect();
    let mut reasons = Vec::new();
    for r in rules.iter().filter(|r| r.enabled) {
        let mut from_rule = PathPred::bottom();
        for t in OPEN_TYPES {
            if !r.evttypes.contains(t) {
                continue;
            }
            let p = pred(&r.expr, &Ctx::Open(t));
            from_rule = from_rule.or(p.clone());
            if let Some(slot) = per_type.get_mut(t) {
                *slot = std::mem::replace(slot, PathPred::Top).or(p);
            }
        }
        // Rules on events that look an fd up: the files they can need named.
        let consumer_types: Vec<&str> = FD_CONSUMERS
            .iter()
            .copied()
            .filter(|t| r.evttypes.contains(t))
            .collect();
        if !consumer_types.is_empty() && reads_file_fd(r) {
            let mut need = PathPred::bottom();
            for t in consumer_types {
                need = need.or(pred(&r.expr, &Ctx::Consumer(t)));
            }
            from_rule = from_rule.or(need.clone());
            for slot in per_type.values_mut() {
                *slot = std::mem::replace(slot, PathPred::Top).or(need.clone());
            }
        }
        if !from_rule.is_bottom() {
            reasons.push((r.name.clone(), from_rule));
        }
    }
    OpenFilter { per_type, reasons }
}

/// Whether a rule's condition or output reads an fd-table field a file could have.
fn reads_file_fd(r: &CompiledRule) -> bool {
    let file_field = |n: &str| n.starts_with("fd.") && !SOCKET_FIELDS.contains(&n);
    let mut found = false;
    r.expr.walk_checks(&mut |c| {
        operand_fields(&c.lhs, &mut |n| found |= file_field(n));
        if let Rhs::Operand(o) = &c.rhs {
            operand_fields(o, &mut |n| found |= file_field(n));
        }
    });
    found || r.format.fields().iter().any(|f| file_field(f.name))
}

/// The fields an operand reads, transformer arguments included.
fn operand_fields(o: &Operand, f: &mut dyn FnMut(&str)) {
    match o {
        Operand::Field { name, .. } => f(name),
        Operand::Transformer { args, .. } => args.iter().for_each(|a| targ_fields(a, f)),
    }
}

fn targ_fields(a: &TArg, f: &mut dyn FnMut(&str)) {
    match a {
        TArg::Operand(o) => operand_fields(o, f),
        TArg::List(v) => v.iter().for_each(|x| targ_fields(x, f)),
        TArg::Value(_) => {}
    }
}

/// Whether closes of fds nobody reported must still reach userspace: a rule
/// that can match `close` fires on them even when it reads no fd field.
pub fn unknown_closes_needed(rules: &[CompiledRule]) -> bool {
    rules
        .iter()
        .any(|r| r.enabled && r.evttypes.contains("close"))
}

/// The event the condition is evaluated on.
enum Ctx<'a> {
    /// An open of this type: `fd.*` describe the opened path.
    Open(&'a str),
    /// An event of this type on an existing fd that is a file.
    Consumer(&'a str),
}

impl Ctx<'_> {
    fn evt_type(&self) -> &str {
        match self {
            Ctx::Open(t) | Ctx::Consumer(t) => t,
        }
    }
}

fn pred(e: &Expr, ctx: &Ctx<'_>) -> PathPred {
    match e {
        Expr::And(v) => {
            let preds: Vec<PathPred> = v.iter().map(|x| pred(x, ctx)).collect();
            if let Some(b) = preds.iter().find(|p| p.is_bottom()) {
                return b.clone();
            }
            preds
                .into_iter()
                .min_by_key(PathPred::cost)
                .unwrap_or(PathPred::Top)
        }
        Expr::Or(v) => v
            .iter()
            .map(|x| pred(x, ctx))
            .fold(PathPred::bottom(), PathPred::or),
        Expr::Not(_) | Expr::Ident { .. } => PathPred::Top,
        Expr::Check(c) => check(c, ctx),
    }
}

/// Which part of the path a field shows.
#[derive(Clone, Copy)]
enum Part {
    Name,
    Dir,
    File,
}

fn values(c: &Check) -> Option<Vec<&str>> {
    let list_op = matches!(c.op.base, BaseOp::In | BaseOp::PMatch | BaseOp::Intersects);
    match &c.rhs {
        Rhs::Value(_) if list_op => None,
        Rhs::Value(v) => Some(vec![v.as_str()]),
        Rhs::List(l) if !l.is_empty() => Some(l.iter().map(String::as_str).collect()),
        _ => None,
    }
}

fn check(c: &Check, ctx: &Ctx<'_>) -> PathPred {
    let Operand::Field {
        name, arg: None, ..
    } = &c.lhs
    else {
        return PathPred::Top;
    };
    let Some(vals) = values(c) else {
        return PathPred::Top;
    };
    let positive = matches!(c.op.base, BaseOp::Eq | BaseOp::EqEq | BaseOp::In);
    match name.as_str() {
        "evt.type" => {
            let t = ctx.evt_type();
            let hit = vals.contains(&t);
            return match c.op.base {
                _ if positive && !hit => PathPred::bottom(),
                BaseOp::Ne if vals.len() == 1 && hit => PathPred::bottom(),
                _ => PathPred::Top,
            };
        }
        "fd.type" | "fd.typechar" if matches!(ctx, Ctx::Consumer(_)) => {
            // The fd is a file: a check that wants a socket kind cannot hold.
            const SOCKETISH: [&str; 8] = ["ipv4", "ipv6", "unix", "netlink", "4", "6", "u", "n"];
            return if positive && vals.iter().all(|v| SOCKETISH.contains(v)) {
                PathPred::bottom()
            } else {
                PathPred::Top
            };
        }
        _ => {}
    }
    let part = match name.as_str() {
        "fd.name" | "fd.nameraw" => Part::Name,
        "fd.directory" => Part::Dir,
        "fd.filename" => Part::File,
        // the open's own path argument, as given
        "evt.arg.name" if matches!(ctx, Ctx::Open(_)) => Part::Name,
        _ => return PathPred::Top,
    };
    if c.op.modifier.is_some() && matches!(c.rhs, Rhs::Value(_)) {
        return PathPred::Top;
    }
    let mut atoms = Vec::new();
    for v in vals {
        match atom(part, c.op.base, v) {
            Some(Some(a)) => atoms.push(a),
            Some(None) => {} // this value can never match
            None => return PathPred::Top,
        }
    }
    PathPred::atoms(atoms)
}

/// The atom a path must satisfy for `part op v` to hold: `None` when the check
/// says nothing usable, `Some(None)` when it can never hold.
fn atom(part: Part, op: BaseOp, v: &str) -> Option<Option<PathAtom>> {
    use BaseOp as O;
    use PathAtom as A;
    Some(Some(match (part, op) {
        (Part::Name, O::Eq | O::EqEq | O::In) => A::Exact(v.into()),
        (Part::Name, O::StartsWith) => A::Prefix(v.into()),
        (Part::Name, O::EndsWith) => A::Suffix(v.into()),
        (Part::Name, O::Contains) => A::Contains(v.into()),
        (Part::Name, O::Glob) => return Some(glob_atom(v)),
        (Part::Name | Part::Dir, O::PMatch) => A::Prefix(literal_prefix(v).into()),
        (Part::Dir, O::Eq | O::EqEq | O::In) => {
            if v == "/" {
                A::Prefix("/".into())
            } else if v.ends_with('/') || !v.starts_with('/') {
                return Some(None); // no dirname of an absolute path looks like this
            } else {
                A::Prefix(format!("{v}/"))
            }
        }
        (Part::Dir, O::StartsWith) => A::Prefix(v.into()),
        (Part::Dir, O::EndsWith | O::Contains) => A::Contains(v.into()),
        (Part::Dir, O::Glob) => A::Prefix(literal_prefix(v).into()),
        (Part::File, O::Eq | O::EqEq | O::In) => {
            if v.contains('/') {
                return Some(None);
            }
            A::Suffix(format!("/{v}"))
        }
        (Part::File, O::EndsWith) => A::Suffix(v.into()),
        (Part::File, O::Contains) => A::Contains(v.into()),
        (Part::File, O::StartsWith) => A::Contains(format!("/{v}")),
        _ => return None,
    }))
}

/// The literal text before a glob's first special character.
fn literal_prefix(p: &str) -> &str {
    let end = p.find(['*', '?', '[', '\\']).unwrap_or(p.len());
    &p[..end]
}

fn glob_atom(p: &str) -> Option<PathAtom> {
    let pre = literal_prefix(p);
    if pre.len() == p.len() {
        return Some(PathAtom::Exact(p.into()));
    }
    if pre.len() > 1 {
        return Some(PathAtom::Prefix(pre.into()));
    }
    // the literal tail after the last special character
    let start = p.rfind(['*', '?', ']']).map(|i| i + 1).unwrap_or(0);
    let tail = &p[start..];
    if !tail.is_empty() && !tail.contains('\\') {
        return Some(PathAtom::Suffix(tail.into()));
    }
    Some(PathAtom::Prefix(String::new())) // trivial: the caller makes it Top
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;

    fn filter(rules: &str) -> OpenFilter {
        let mut e = Engine::new();
        let r = e.load("t.yaml", rules);
        assert!(r.successful, "{rules}: {}", r.summary());
        open_filter(e.rules())
    }

    #[test]
    fn exact_prefix_suffix_and_directory() {
        let f = filter(
            r#"
- rule: a
  desc: d
  condition: evt.type = openat and (fd.name in (/etc/shadow, /etc/sudoers) or fd.directory in (/etc/pam.d))
  output: o
  priority: WARNING
- rule: b
  desc: d
  condition: evt.type in (open, openat) and evt.is_open_write = true and fd.filename = dpkg.log and not proc.name = apt
  output: o
  priority: WARNING
"#,
        );
        assert!(f.admits("openat", "/etc/shadow"));
        assert!(f.admits("openat", "/etc/pam.d/common-auth"));
        assert!(!f.admits("openat", "/etc/pam.dx"));
        assert!(!f.admits("openat", "/etc/hostname"));
        assert!(f.admits("openat", "/var/log/dpkg.log"));
        assert!(!f.admits("openat", "/var/log/mydpkg.log"));
        // `open` is only needed by rule b
        assert!(!f.admits("open", "/etc/shadow"));
        assert!(f.admits("open", "/x/dpkg.log"));
        // no rule on creat or openat2
        assert!(!f.admits("creat", "/var/log/dpkg.log"));
        assert!(!f.admits("openat2", "/etc/shadow"));
    }

    #[test]
    fn and_keeps_the_most_selective_side_and_or_needs_both() {
        let f = filter(
            r#"
- rule: a
  desc: d
  condition: evt.type = openat and fd.name startswith /etc and fd.name in (/etc/shadow)
  output: o
  priority: WARNING
"#,
        );
        assert!(f.admits("openat", "/etc/shadow"));
        assert!(!f.admits("openat", "/etc/passwd"));
        let f = filter(
            r#"
- rule: a
  desc: d
  condition: evt.type = openat and (fd.name startswith /etc/ or proc.name = cat)
  output: o
  priority: WARNING
"#,
        );
        assert_eq!(f.per_type["openat"], PathPred::Top);
    }

    #[test]
    fn negation_and_unknown_checks_give_top() {
        for cond in [
            "evt.type = openat and not fd.name startswith /tmp/",
            "evt.type = openat and fd.name regex '/etc/.*'",
            "evt.type = openat and fd.name icontains shadow",
            "evt.type = openat and fd.name glob '*'",
            "evt.type = openat and fd.name != /tmp/x",
            "evt.type = openat and tolower(fd.name) = /etc/shadow",
            "evt.type = openat and fd.name startswith /",
            "evt.type = openat and fd.name contains a",
            "proc.name = cat",
        ] {
            let f = filter(&format!(
                "- rule: a\n  desc: d\n  condition: {cond}\n  output: o\n  priority: WARNING\n"
            ));
            assert_eq!(f.per_type["openat"], PathPred::Top, "{cond}");
        }
    }

    #[test]
    fn globs_use_their_literal_ends() {
        let f = filter(
            "- rule: a\n  desc: d\n  condition: evt.type = openat and (fd.name glob '/proc/*/environ' or fd.name glob '*.pem')\n  output: o\n  priority: WARNING\n",
        );
        assert!(f.admits("openat", "/proc/1/environ"));
        assert!(f.admits("openat", "/srv/key.pem"));
        assert!(!f.admits("openat", "/srv/key.txt"));
    }

    #[test]
    fn fd_consumers_that_read_file_names_widen_every_open_type() {
        // a rule on close reading fd.name needs those opens
        let f = filter(
            "- rule: a\n  desc: d\n  condition: evt.type = close and fd.name startswith /srv/secret\n  output: o\n  priority: WARNING\n",
        );
        assert!(f.admits("openat", "/srv/secret/x"));
        assert!(f.admits("creat", "/srv/secret/x"));
        assert!(!f.admits("openat", "/tmp/x"));
        // ... and one that prints fd.name without constraining it needs every open
        let f = filter(
            "- rule: a\n  desc: d\n  condition: evt.type = dup2 and proc.name = sh\n  output: \"%fd.name\"\n  priority: WARNING\n",
        );
        assert_eq!(f.per_type["openat"], PathPred::Top);
        // a socket-only rule on connect does not need any open
        let f = filter(
            "- rule: a\n  desc: d\n  condition: evt.type = connect and (fd.typechar = 4 or fd.typechar = 6) and fd.sport = 22\n  output: \"%fd.name\"\n  priority: WARNING\n",
        );
        assert!(!f.admits("openat", "/tmp/x"));
        // a rule on every event type sees opens
        let f = filter(
            "- rule: a\n  desc: d\n  condition: proc.name = sh and fd.name = /x\n  output: o\n  priority: WARNING\n",
        );
        assert!(f.admits("openat", "/x"));
    }

    #[test]
    fn a_rule_that_can_match_close_needs_every_close() {
        let rules = |cond: &str| {
            let mut e = Engine::new();
            assert!(e
                .load(
                    "t.yaml",
                    &format!("- rule: a\n  desc: d\n  condition: {cond}\n  output: o\n  priority: WARNING\n"),
                )
                .successful);
            unknown_closes_needed(e.rules())
        };
        assert!(rules("evt.type = close and proc.name = sh"));
        assert!(rules("proc.name = sh")); // every event type
        assert!(!rules("evt.type = openat and proc.name = sh"));
    }

    #[test]
    fn disabled_rules_need_nothing() {
        let f = filter(
            "- rule: a\n  desc: d\n  condition: evt.type = openat and proc.name = cat\n  output: o\n  priority: WARNING\n  enabled: false\n",
        );
        assert!(!f.admits("openat", "/etc/shadow"));
    }
}
