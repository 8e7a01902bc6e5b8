//! The state engine: a process table (seeded from `/proc`, kept current from
//! exec/fork/exit records), per-process fd tables and working directories,
//! and the conversion of each kernel record into an event carrying every
//! field quell can extract.
//!
//! [`State::apply_live`] returns a [`LiveEvent`]: the record's own fields
//! (`evt.*`, `fd.*`, `fs.path.*`) are decoded eagerly into a small reused
//! buffer, while the process fields (`proc.*`, `user.*`, `group.*`,
//! `container.*`, ancestors) are read from the process table only when a rule
//! asks for them. [`LiveEvent::to_flat`] builds the complete
//! [`FlatEvent`] (for alerts' records and `--record`); [`State::apply`] is
//! `apply_live` + `to_flat`. Both read identically, field by field.
//!
//! Everything here is pure apart from the optional `/proc` fallback for
//! processes first seen mid-life, so it is unit-tested from synthetic records.
//!
//! Modules: `process.rs` (the process table: processes, cgroups, ancestry),
//! `fd.rs` (fd tables, socket names, path resolution), `apply.rs` (what each
//! record does to the tables and which `evt.*`/`fd.*`/`fs.path.*` fields it
//! carries) and `view.rs` (the event as rules read it: [`LiveEvent`], and the
//! field writer with its registry type coercion).

mod apply;
mod fd;
mod process;
mod view;

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::PathBuf;

use quell_events::FlatEvent;
use quell_rules::{FieldType, Value};

use crate::container::MetadataProvider;
use crate::procfs::Users;
use crate::record::{Body, Record, Syscall};

pub use fd::{normalize, resolve, FdInfo, FdKind, SockInfo};
pub use process::{find_cgroup2_mount, CgroupResolver, Process};
pub use view::LiveEvent;

use view::Ev;

/// FNV-1a: the field-type cache hashes short fixed keys on every field set,
/// where SipHash showed up in profiles.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_usize(&mut self, x: usize) {
        self.0 = (self.0.rotate_left(5) ^ x as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_usize(x as usize);
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// One decoded field of the record itself.
type Pair = (Cow<'static, str>, Value<'static>);

/// The process table and the record → event conversion.
pub struct State {
    procs: FnvMap<u32, Process>,
    users: Users,
    /// Each container's own user and group names (its `/etc/passwd` and
    /// `/etc/group`, read through `/proc/PID/root` of its first process
    /// seen), by full container id.
    container_users: HashMap<String, Users>,
    boot_offset_ns: i128,
    evt_num: u64,
    cgroups: CgroupResolver,
    meta: MetadataProvider,
    proc_root: Option<PathBuf>,
    /// Field types by key identity (address and length of the static key).
    types: FnvMap<(usize, usize), FieldType>,
    last_sweep: u64,
    /// The current record's own fields (reused from record to record).
    base: Vec<Pair>,
    /// The current event's time (ns since the epoch), for `proc.duration`.
    now: u64,
    /// Whether close records become events (else they only update fd tables).
    deliver_close: bool,
    /// A process whose syscalls are not captured (quell itself): records do
    /// not keep its fd table, so a child it forks gets the table `/proc`
    /// shows when the fork is applied.
    unwatched: Option<u32>,
}

impl State {
    /// An empty table. `boot_offset_ns` converts boot-clock times to the epoch;
    /// `proc_root` (normally `/proc`) is read for processes first seen mid-life.
    pub fn new(users: Users, boot_offset_ns: i128, proc_root: Option<PathBuf>) -> Self {
        State {
            procs: FnvMap::default(),
            users,
            container_users: HashMap::new(),
            boot_offset_ns,
            evt_num: 0,
            cgroups: CgroupResolver::default(),
            meta: MetadataProvider::default(),
            proc_root,
            types: FnvMap::default(),
            last_sweep: 0,
            base: Vec::with_capacity(64),
            now: 0,
            deliver_close: true,
            unwatched: None,
        }
    }

    /// Whether `close`/`close_range` records are handed out as events (the
    /// default) or only drop fd table entries (when no rule reads them).
    pub fn set_deliver_close(&mut self, on: bool) {
        self.deliver_close = on;
    }

    /// Names the process whose syscalls the capture leaves out (quell
    /// itself): its fd table is re-read from `/proc` when it forks, instead of
    /// being inherited as seeded at start-up (which would give its children
    /// names of fds it closed since).
    pub fn set_unwatched(&mut self, pid: u32) {
        self.unwatched = Some(pid);
    }

    /// Uses the host's cgroup2 mount to resolve container ids.
    pub fn with_cgroups(mut self, c: CgroupResolver) -> Self {
        self.cgroups = c;
        self
    }

    /// Uses a metadata provider (runtime files below another root).
    pub fn with_metadata(mut self, m: MetadataProvider) -> Self {
        self.meta = m;
        self
    }

    /// A /proc start time (ns since boot) in ns since the epoch; 0 stays 0.
    fn boot_to_epoch(&self, ns: u64) -> u64 {
        if ns == 0 {
            0
        } else {
            self.epoch(ns)
        }
    }

    fn epoch(&self, ts_boot: u64) -> u64 {
        let t = ts_boot as i128 + self.boot_offset_ns;
        t.clamp(0, u64::MAX as i128) as u64
    }

    /// Applies one decoded record: updates the tables and returns the event
    /// with all its fields. Same as [`State::apply_live`] + [`LiveEvent::to_flat`].
    pub fn apply(&mut self, r: &Record) -> Option<FlatEvent> {
        self.apply_live(r).map(|e| e.to_flat())
    }

    /// Applies one decoded record: updates the tables and returns a view of the
    /// event that extracts process fields on demand. `None` for records that
    /// are not events (a failed fork; a close when closes are not delivered).
    pub fn apply_live(&mut self, r: &Record) -> Option<LiveEvent<'_>> {
        let now = self.epoch(r.ts_boot);
        // close records carry neither credentials nor the cgroup (see the BPF program)
        let close = match &r.body {
            Body::Syscall { res, call } => {
                let close = matches!(call, Syscall::Close { .. } | Syscall::CloseRange { .. });
                if close && !self.deliver_close {
                    self.apply_close(r.tgid, call, *res, None);
                    return None;
                }
                close
            }
            _ => false,
        };
        self.sweep(now);
        self.now = now;
        self.evt_num += 1;
        self.ensure(r.tgid);
        if !close {
            self.refresh_container(r.tgid, r.cgroup_id);
            if let Some(p) = self.procs.get_mut(&r.tgid) {
                p.uid = r.uid;
                p.gid = r.gid;
            }
        }
        let mut ev = Ev::new(self);
        ev.num("evt.num", self.evt_num as i128);
        ev.num("evt.rawtime", now as i128);
        ev.text_static("evt.dir", "<");
        ev.num("thread.tid", r.tid as i128);
        let handled = match &r.body {
            Body::Exec(x) => {
                self.on_exec(r.tgid, x, now, &mut ev);
                Some(())
            }
            Body::Fork(f) => self.on_fork(r.tgid, f, now, &mut ev),
            Body::Exit { status } => {
                self.on_exit(r.tgid, *status, now, &mut ev);
                Some(())
            }
            Body::Syscall { res, call } => {
                self.on_syscall(r.tgid, *res, call, &mut ev);
                Some(())
            }
        };
        ev.done(self);
        handled?;
        // Container metadata is looked up (and cached) now, so the view can
        // read it without mutating the state.
        if let Some(c) = self.procs.get(&r.tgid).and_then(|p| p.container.clone()) {
            let _ = self.meta.get(&c);
            if !self.container_users.contains_key(&c.full_id) {
                if let Some(root) = &self.proc_root {
                    let fs_root = root.join(r.tgid.to_string()).join("root");
                    if let Some(u) = Users::load_existing(&fs_root) {
                        self.container_users.insert(c.full_id.clone(), u);
                    }
                }
            }
        }
        let state: &State = self;
        Some(LiveEvent {
            state,
            tgid: r.tgid,
            process: state.procs.get(&r.tgid),
        })
    }
}

/// Helpers shared by the tests of the state modules.
#[cfg(test)]
pub(crate) mod testutil {
    use super::*;
    use crate::wire::{self, decode};

    pub(crate) fn state() -> State {
        let users = Users::parse(
            "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n",
            "root:x:0:\nalice:x:1000:\n",
        );
        let mut s = State::new(users, 0, None);
        s.insert(Process {
            pid: 100,
            ppid: 1,
            comm: "bash".into(),
            exe: "-bash".into(),
            exepath: "/usr/bin/bash".into(),
            cwd: "/home/alice".into(),
            loginuid: 1000,
            ..Process::default()
        });
        s.insert(Process {
            pid: 1,
            comm: "init".into(),
            exe: "/sbin/init".into(),
            loginuid: u32::MAX,
            ..Process::default()
        });
        s
    }

    pub(crate) fn qproc(ppid: u32, comm: &str) -> Vec<u8> {
        let mut p = vec![0u8; wire::PROC_LEN];
        p[0..4].copy_from_slice(&ppid.to_le_bytes());
        p[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut c = [0u8; 16];
        c[..comm.len()].copy_from_slice(comm.as_bytes());
        p.extend_from_slice(&c);
        p
    }

    pub(crate) fn apply(s: &mut State, b: &[u8]) -> FlatEvent {
        s.apply(&decode(b).unwrap()).unwrap()
    }

    pub(crate) fn txt(e: &FlatEvent, k: &str) -> String {
        match e.get(k) {
            Some(v) => v.to_string(),
            None => "<NA>".into(),
        }
    }
}
