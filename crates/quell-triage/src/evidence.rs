//! Facts about one event: who acted (lineage), what it touched (target sensitivity),
//! and what kind of action an event is (for session context).

use std::net::IpAddr;

use quell_events::FlatEvent;
use serde::Serialize;

use crate::cluster::target;
use crate::input::{int, text};

/// How many ancestor levels are looked at.
pub const MAX_ANCESTORS: usize = 12;

/// How many ancestor levels are checked for a dropped binary.
pub const MAX_DROP_LEVEL: usize = 4;

/// Shells.
pub const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "ash", "csh", "tcsh", "fish", "busybox",
];
/// Servers whose children are not expected to be shells.
pub const SERVICES: &[&str] = &[
    "httpd",
    "nginx",
    "apache2",
    "lighttpd",
    "php-fpm",
    "php-fpm8.2",
    "php",
    "node",
    "java",
    "tomcat",
    "gunicorn",
    "uwsgi",
    "puma",
    "unicorn",
    "caddy",
    "traefik",
    "envoy",
    "python3-web",
    "postgres",
    "mysqld",
    "mariadbd",
    "mongod",
    "redis-server",
];
/// Ways in: programs a person's session passes through.
pub const ENTRY_POINTS: &[&str] = &[
    "sshd",
    "login",
    "agetty",
    "tmux: server",
    "screen",
    "sudo",
    "su",
];
/// Container runtimes through which `exec` sessions are entered.
pub const RUNTIMES: &[&str] = &[
    "runc",
    "crun",
    "containerd-shim",
    "containerd-shim-runc-v2",
    "conmon",
    "docker",
    "kubectl",
];
/// Download tools.
pub const DOWNLOADERS: &[&str] = &[
    "curl",
    "wget",
    "fetch",
    "aria2c",
    "tftp",
    "ftp",
    "scp",
    "sftp",
    "rsync",
    "lwp-download",
];
/// Directories a dropped payload lives in.
pub const DROP_DIRS: &[&str] = &["/tmp/", "/dev/shm/", "/var/tmp/", "/run/shm/", "memfd:"];

/// Whether a path is in a drop directory (or memfd).
pub fn in_drop_dir(p: &str) -> bool {
    DROP_DIRS.iter().any(|d| p.starts_with(d))
}

/// How sensitive a target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Housekeeping files (a package manager's log, rotated archives).
    Low,
    /// Ordinary application or system logs and files.
    Medium,
    /// Authentication and audit records, shell history, credentials.
    High,
}

/// Classifies a target path.
pub fn sensitivity(path: &str) -> Sensitivity {
    let base = path.rsplit('/').next().unwrap_or(path);
    const HIGH_NAMES: &[&str] = &[
        "auth.log",
        "secure",
        "wtmp",
        "btmp",
        "lastlog",
        "faillog",
        "sudo.log",
        "shadow",
        "gshadow",
        "sudoers",
        "passwd",
        "authorized_keys",
        "credentials",
        "audit.log",
    ];
    const HIGH_PARTS: &[&str] = &[
        "/var/log/audit/",
        "_history",
        "/.ssh/",
        "/var/log/journal/",
        "/.aws/",
        "/.kube/",
    ];
    const LOW_NAMES: &[&str] = &[
        "dpkg.log",
        "alternatives.log",
        "bootstrap.log",
        "yum.log",
        "dnf.log",
        "dnf.rpm.log",
        "dnf.librepo.log",
        "hawkey.log",
        "apk.log",
        "pacman.log",
        "cloud-init-output.log",
        "fontconfig.log",
    ];
    const LOW_PARTS: &[&str] = &[
        "/var/log/apt/",
        "/var/log/installer/",
        "/var/cache/",
        "/var/lib/apt/",
    ];
    if HIGH_NAMES.contains(&base) || HIGH_PARTS.iter().any(|p| path.contains(p)) {
        return Sensitivity::High;
    }
    let rotated = base.ends_with(".gz")
        || base.ends_with(".xz")
        || base.ends_with(".old")
        || base
            .rsplit('.')
            .next()
            .is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
    if LOW_NAMES.contains(&base) || LOW_PARTS.iter().any(|p| path.contains(p)) || rotated {
        return Sensitivity::Low;
    }
    Sensitivity::Medium
}

/// The process and its ancestors: (level, name, exepath). Level 0 is the process.
pub fn lineage(ev: &FlatEvent) -> Vec<(usize, String, Option<String>)> {
    let mut out = Vec::new();
    if let Some(n) = text(ev, "proc.name") {
        out.push((0, n, text(ev, "proc.exepath")));
    }
    for level in 1..=MAX_ANCESTORS {
        let name = text(ev, &format!("proc.aname[{level}]")).or_else(|| {
            if level == 1 {
                text(ev, "proc.pname")
            } else {
                None
            }
        });
        let exe = text(ev, &format!("proc.aexepath[{level}]")).or_else(|| {
            if level == 1 {
                text(ev, "proc.pexepath")
            } else {
                None
            }
        });
        match name {
            // The capture process is not part of the watched tree.
            Some(n) if n == "quell" => break,
            Some(n) => out.push((level, n, exe)),
            None if level == 1 => continue,
            None => break,
        }
    }
    out
}

/// Who acted, as the triage sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Actor {
    /// A controlling terminal (`proc.tty` not 0).
    pub tty: bool,
    /// An entry point (sshd, login, sudo...) among the ancestors, by name.
    pub entry: Option<String>,
    /// A container runtime among the ancestors (an `exec` session), by name.
    pub runtime: Option<String>,
    /// A server among the ancestors with a shell between it and the process: (server, shell).
    pub service_shell: Option<(String, String)>,
    /// The process or an ancestor runs from a drop directory or memfd, or was written
    /// after its container started: (level, path).
    pub dropped_exe: Option<(usize, String)>,
}

/// Reads the actor facts of an event.
pub fn actor(ev: &FlatEvent) -> Actor {
    let mut a = Actor {
        tty: int(ev, "proc.tty").is_some_and(|t| t != 0),
        ..Actor::default()
    };
    let lin = lineage(ev);
    let mut shell_below: Option<String> = None;
    for (level, name, exe) in &lin {
        if a.entry.is_none() && *level > 0 && ENTRY_POINTS.contains(&name.as_str()) {
            a.entry = Some(name.clone());
        }
        if a.runtime.is_none() && *level > 0 && RUNTIMES.iter().any(|r| name.starts_with(r)) {
            a.runtime = Some(name.clone());
        }
        if a.service_shell.is_none() && *level > 0 && SERVICES.contains(&name.as_str()) {
            if let Some(sh) = &shell_below {
                a.service_shell = Some((name.clone(), sh.clone()));
            }
        }
        if SHELLS.contains(&name.as_str()) {
            shell_below = Some(name.clone());
        }
        if a.dropped_exe.is_none() && *level <= MAX_DROP_LEVEL {
            if let Some(p) = exe
                .as_deref()
                .filter(|p| in_drop_dir(p) && !p.starts_with("memfd:runc"))
            {
                a.dropped_exe = Some((*level, p.to_string()));
            }
        }
    }
    if a.dropped_exe.is_none() {
        let memfd = matches!(
            ev.get("proc.is_exe_from_memfd"),
            Some(quell_rules::Value::Bool(true))
        );
        let upper = matches!(
            ev.get("proc.is_exe_upper_layer"),
            Some(quell_rules::Value::Bool(true))
        );
        if memfd || upper {
            a.dropped_exe = Some((0, text(ev, "proc.exepath").unwrap_or_else(|| "?".into())));
        }
    }
    a
}

/// The kind of a session event, for context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Activity {
    /// A download tool ran: (program, command line).
    Download(String, String),
    /// A program ran from a drop directory or memfd: its path.
    ExecDropped(String),
    /// A connection to a non-local address: the address.
    Outbound(String),
    /// A credential file was read: its path.
    CredentialRead(String),
    /// A known-maintenance program ran (catalogue actor): its name.
    Maintenance(String),
}

fn is_exec(ev: &FlatEvent) -> bool {
    let ok = int(ev, "evt.rawres").is_none_or(|r| r == 0)
        && !matches!(ev.get("evt.failed"), Some(quell_rules::Value::Bool(true)));
    matches!(text(ev, "evt.type").as_deref(), Some("execve" | "execveat")) && ok
}

/// Whether an address is local (loopback, unspecified, link-local).
pub fn is_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_loopback() || v.is_unspecified() || v.is_link_local(),
        IpAddr::V6(v) => {
            v.is_loopback() || v.is_unspecified() || (v.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

fn server_ip(ev: &FlatEvent) -> Option<IpAddr> {
    for k in ["fd.sip", "fd.rip"] {
        if let Some(quell_rules::Value::Ip(ip)) = ev.get(k) {
            return Some(*ip);
        }
        if let Some(ip) = text(ev, k).and_then(|s| s.parse().ok()) {
            return Some(ip);
        }
    }
    // `fd.name` of a connection: `a:p->b:q`.
    let name = text(ev, "fd.name")?;
    let (_, remote) = name.split_once("->")?;
    let host = remote.rsplit_once(':').map(|(h, _)| h).unwrap_or(remote);
    host.trim_matches(|c| c == '[' || c == ']').parse().ok()
}

/// What one event did, when it is of a kind the session context weighs.
pub fn activity(ev: &FlatEvent, is_maintenance: &dyn Fn(&str) -> bool) -> Option<Activity> {
    let ty = text(ev, "evt.type")?;
    if is_exec(ev) {
        let name = text(ev, "proc.name").unwrap_or_default();
        let exe = text(ev, "proc.exepath").unwrap_or_default();
        if in_drop_dir(&exe)
            || matches!(
                ev.get("proc.is_exe_from_memfd"),
                Some(quell_rules::Value::Bool(true))
            )
        {
            return Some(Activity::ExecDropped(exe));
        }
        if DOWNLOADERS.contains(&name.as_str()) {
            let cmd = text(ev, "proc.cmdline").unwrap_or_default();
            if cmd.contains("://")
                || cmd.contains(" -o")
                || cmd.contains(" -O")
                || name == "scp"
                || name == "tftp"
            {
                return Some(Activity::Download(name, cmd));
            }
        }
        if is_maintenance(&name) {
            return Some(Activity::Maintenance(name));
        }
        return None;
    }
    if ty == "connect" {
        let ok = int(ev, "evt.rawres").is_none_or(|r| r == 0 || r == -115);
        let ip = server_ip(ev)?;
        if ok && !is_local(&ip) {
            return Some(Activity::Outbound(
                text(ev, "fd.name").unwrap_or_else(|| ip.to_string()),
            ));
        }
        return None;
    }
    if matches!(ty.as_str(), "open" | "openat" | "openat2") {
        let read = matches!(
            ev.get("evt.is_open_read"),
            Some(quell_rules::Value::Bool(true))
        );
        let path = text(ev, "fd.name")?;
        if read && is_credential(&path) && int(ev, "fd.num").is_none_or(|n| n >= 0) {
            return Some(Activity::CredentialRead(path));
        }
    }
    None
}

/// Credential files.
pub fn is_credential(path: &str) -> bool {
    matches!(
        path,
        "/etc/shadow" | "/etc/gshadow" | "/etc/sudoers" | "/etc/master.passwd"
    ) || path.starts_with("/etc/sudoers.d/")
        || (path.contains("/.ssh/id_") && !path.ends_with(".pub"))
        || path.starts_with("/etc/ssh/ssh_host_") && !path.ends_with(".pub")
        || path.ends_with("/.aws/credentials")
        || path.ends_with("/.kube/config")
        || path.ends_with("/.docker/config.json")
        || path.contains("/.config/gcloud/")
}

/// The target of an event with its sensitivity.
pub fn target_sensitivity(ev: &FlatEvent) -> Option<(String, Sensitivity)> {
    target(ev).map(|(_, t)| {
        let s = sensitivity(&t);
        (t, s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> FlatEvent {
        FlatEvent::from_json_line(json).unwrap()
    }

    #[test]
    fn sensitivity_levels() {
        assert_eq!(sensitivity("/var/log/dpkg.log"), Sensitivity::Low);
        assert_eq!(sensitivity("/var/log/apt/history.log"), Sensitivity::Low);
        assert_eq!(sensitivity("/var/log/syslog.2.gz"), Sensitivity::Low);
        assert_eq!(sensitivity("/var/log/syslog"), Sensitivity::Medium);
        assert_eq!(sensitivity("/var/log/auth.log"), Sensitivity::High);
        assert_eq!(sensitivity("/var/log/audit/audit.log"), Sensitivity::High);
        assert_eq!(sensitivity("/root/.bash_history"), Sensitivity::High);
        assert_eq!(sensitivity(""), Sensitivity::Medium);
    }

    #[test]
    fn actor_facts() {
        let a = actor(&ev(
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"}"#,
        ));
        assert!(a.tty);
        assert_eq!(a.entry.as_deref(), Some("sshd"));
        assert!(a.service_shell.is_none());
        let a = actor(&ev(
            r#"{"proc.name":"rm","proc.tty":0,"proc.aname[1]":"sh","proc.aname[2]":"httpd","proc.aexepath[1]":"/bin/sh"}"#,
        ));
        assert_eq!(a.service_shell, Some(("httpd".into(), "sh".into())));
        assert!(!a.tty);
        let a = actor(&ev(
            r#"{"proc.name":"rm","proc.aname[1]":"x","proc.aexepath[1]":"/tmp/x"}"#,
        ));
        assert_eq!(a.dropped_exe, Some((1, "/tmp/x".into())));
        // A web server running rm directly (no shell between) is not a spawned shell.
        let a = actor(&ev(r#"{"proc.name":"rm","proc.pname":"httpd"}"#));
        assert!(a.service_shell.is_none());
    }

    #[test]
    fn activities() {
        let none = |_: &str| false;
        let d = activity(
            &ev(
                r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"curl","proc.cmdline":"curl -so /tmp/p http://127.0.0.1:8000/p"}"#,
            ),
            &none,
        );
        assert!(matches!(d, Some(Activity::Download(..))));
        let x = activity(
            &ev(r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"p","proc.exepath":"/tmp/p"}"#),
            &none,
        );
        assert_eq!(x, Some(Activity::ExecDropped("/tmp/p".into())));
        let failed = activity(
            &ev(r#"{"evt.type":"execve","evt.rawres":-2,"proc.name":"p","proc.exepath":"/tmp/p"}"#),
            &none,
        );
        assert_eq!(failed, None);
        let c = activity(
            &ev(
                r#"{"evt.type":"connect","evt.rawres":0,"fd.name":"10.0.0.2:5555->93.184.216.34:443"}"#,
            ),
            &none,
        );
        assert!(matches!(c, Some(Activity::Outbound(_))));
        let l = activity(
            &ev(
                r#"{"evt.type":"connect","evt.rawres":0,"fd.name":"127.0.0.1:5555->127.0.0.1:443"}"#,
            ),
            &none,
        );
        assert_eq!(l, None);
        let r = activity(
            &ev(
                r#"{"evt.type":"openat","evt.is_open_read":true,"fd.num":3,"fd.name":"/etc/shadow"}"#,
            ),
            &none,
        );
        assert_eq!(r, Some(Activity::CredentialRead("/etc/shadow".into())));
        let m = activity(
            &ev(r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"dpkg"}"#),
            &|n| n == "dpkg",
        );
        assert_eq!(m, Some(Activity::Maintenance("dpkg".into())));
    }
}
