//! The event as rules read it: [`LiveEvent`] reads the record's own fields
//! from the buffer [`Ev`] filled and the process fields (`proc.*`, `user.*`,
//! `group.*`, `container.*`, ancestors) from the process table on demand;
//! [`LiveEvent::to_flat`] builds the complete event, identical field by
//! field. Values are coerced to their registry types in both.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::OnceLock;

use quell_events::FlatEvent;
use quell_rules::fields_table::registry;
use quell_rules::{Event, FieldRef, FieldType, Value};

use crate::container::HOST_ID;
use crate::flags;

use super::fd::{basename, dirname, ends, l4proto};
use super::process::MAX_ANCESTORS;
use super::{FdInfo, FdKind, FnvMap, Pair, Process, State};

impl State {
    /// One ancestor field (`proc.aname`, `proc.apid`, `proc.aexe`,
    /// `proc.aexepath`) at `level` (1..=MAX_ANCESTORS).
    pub(super) fn ancestor_value(
        &self,
        p: &Process,
        name: &str,
        level: usize,
    ) -> Option<Value<'_>> {
        let key = ancestor_key(name, level)?;
        let mut out = None;
        self.walk_ancestors(p, |l, pid, a| {
            if l < level {
                return true;
            }
            if l == level {
                out = match (a, name) {
                    (None, "proc.apid") => Some(num_value(proc_key_type(key), pid as i128)),
                    (None, _) => None,
                    (Some(a), _) => ancestor_field(a, name, level, key),
                };
            }
            false
        });
        out
    }

    /// A process field that is not an ancestor level; `None` when absent.
    pub(super) fn proc_value<'s>(&'s self, p: &'s Process, key: &str) -> Option<Value<'s>> {
        let ty = proc_key_type(key);
        let num = |v: i128| Some(num_value(ty, v));
        let text = |v: Cow<'s, str>| text_value(ty, v);
        let b = |v: bool| Some(bool_value(ty, v));
        // a container's names come from its own files (the host's when
        // they could not be read)
        let users = p
            .container
            .as_ref()
            .and_then(|c| self.container_users.get(&c.full_id))
            .unwrap_or(&self.users);
        let user = |id: u32| users.users.get(&id).map(|n| Cow::Borrowed(n.as_str()));
        match key {
            "proc.pid" => num(p.pid as i128),
            "proc.ppid" => num(p.ppid as i128),
            "proc.vpid" => num(p.vpid as i128),
            "proc.name" => text(Cow::Borrowed(&p.comm)),
            "proc.exe" => text(Cow::Borrowed(&p.exe)),
            "proc.exepath" => text(Cow::Borrowed(&p.exepath)),
            "proc.args" => text(Cow::Owned(p.args.join(" "))),
            "proc.cmdline" => text(Cow::Owned(p.cmdline())),
            // libsinsp's concatenation: the entries joined by one space
            "proc.env" => text(Cow::Owned(p.env.join(" "))),
            // libsinsp keeps a working directory with a trailing `/` (and captures carry it
            // so): the table keeps the path, the field gives libsinsp's form
            "proc.cwd" => text(if p.cwd.is_empty() || p.cwd.ends_with('/') {
                Cow::Borrowed(&p.cwd)
            } else {
                Cow::Owned(format!("{}/", p.cwd))
            }),
            "proc.tty" => num(p.tty as i128),
            "proc.sid" => num(p.sid as i128),
            "proc.sname" => text(Cow::Borrowed(&self.procs.get(&p.sid)?.comm)),
            "proc.is_exe_from_memfd" => b(p.exe_from_memfd),
            "proc.is_exe_upper_layer" => b(p.exe_upper_layer?),
            "proc.exe_ino" if p.exe_ino != 0 => num(p.exe_ino as i128),
            "proc.exe_ino.ctime" if p.exe_ctime != 0 => num(p.exe_ctime as i128),
            "proc.exe_ino.mtime" if p.exe_mtime != 0 => num(p.exe_mtime as i128),
            "proc.exe_ino.ctime_duration_proc_start"
                if p.exe_ctime != 0 && p.start_ns >= p.exe_ctime =>
            {
                num((p.start_ns - p.exe_ctime) as i128)
            }
            "proc.duration" if p.start_ns != 0 && self.now >= p.start_ns => {
                num((self.now - p.start_ns) as i128)
            }
            "proc.pid.ts" if p.start_ns != 0 => num(p.start_ns as i128),
            "thread.cap_effective" => text(Cow::Owned(flags::caps(p.cap_effective))),
            "thread.cap_permitted" => text(Cow::Owned(flags::caps(p.cap_permitted))),
            "thread.cap_inheritable" => text(Cow::Owned(flags::caps(p.cap_inheritable))),
            "user.uid" => num(p.uid as i128),
            "user.name" => text(user(p.uid)?),
            "user.loginuid" => num(if p.loginuid == u32::MAX {
                -1
            } else {
                p.loginuid as i128
            }),
            "user.loginname" => text(user(p.loginuid)?),
            "group.gid" => num(p.gid as i128),
            "group.name" => text(Cow::Borrowed(users.groups.get(&p.gid)?)),
            "proc.pname" => text(Cow::Borrowed(&self.parent_of(p)?.comm)),
            "proc.pcmdline" => text(Cow::Owned(self.parent_of(p)?.cmdline())),
            "proc.pexe" => text(Cow::Borrowed(&self.parent_of(p)?.exe)),
            "proc.pexepath" => text(Cow::Borrowed(&self.parent_of(p)?.exepath)),
            "container.id" => match &p.container {
                None => text(Cow::Borrowed(HOST_ID)),
                Some(c) => text(Cow::Borrowed(&c.id)),
            },
            "container.full_id" => text(Cow::Borrowed(&p.container.as_ref()?.full_id)),
            "container.type" => text(Cow::Borrowed(p.container.as_ref()?.runtime)),
            "container.name" => match &p.container {
                None => text(Cow::Borrowed("host")),
                Some(c) => text(Cow::Borrowed(self.meta.cached(c)?.name.as_deref()?)),
            },
            "container.image"
            | "container.image.repository"
            | "container.image.tag"
            | "k8s.pod.name"
            | "k8s.ns.name"
            | "k8s.pod.uid" => {
                let m = self.meta.cached(p.container.as_ref()?)?;
                let v = match key {
                    "container.image" => &m.image,
                    "container.image.repository" => &m.image_repository,
                    "container.image.tag" => &m.image_tag,
                    "k8s.pod.name" => &m.pod_name,
                    "k8s.ns.name" => &m.pod_namespace,
                    _ => &m.pod_uid,
                };
                text(Cow::Borrowed(v.as_deref()?))
            }
            "container.privileged" => b(self.meta.cached(p.container.as_ref()?)?.privileged?),
            _ => None,
        }
    }

    /// Every process-derived field of process `tgid`, appended to `out`.
    pub(super) fn proc_pairs(&self, tgid: u32, out: &mut Vec<Pair>) {
        let Some(p) = self.procs.get(&tgid) else {
            return;
        };
        for key in PROC_KEYS {
            if let Some(v) = self.proc_value(p, key) {
                out.push((Cow::Borrowed(*key), v.into_owned()));
            }
        }
        self.walk_ancestors(p, |level, pid, a| {
            for name in ANCESTOR_NAMES {
                let Some(key) = ancestor_key(name, level) else {
                    continue;
                };
                let v = match a {
                    None if name == "proc.apid" => Some(num_value(proc_key_type(key), pid as i128)),
                    None => None,
                    Some(a) => ancestor_field(a, name, level, key).map(Value::into_owned),
                };
                if let Some(v) = v {
                    out.push((Cow::Borrowed(key), v));
                }
            }
            true
        });
    }
}

/// A record turned into an event, reading process fields from the state on
/// demand. Implements [`Event`]; it reads exactly as [`LiveEvent::to_flat`]
/// does.
pub struct LiveEvent<'a> {
    pub(super) state: &'a State,
    pub(super) tgid: u32,
    /// The process of the event, looked up once.
    pub(super) process: Option<&'a Process>,
}

impl<'a> LiveEvent<'a> {
    /// The value stored under a canonical key (as [`FlatEvent::get`] would give it).
    pub fn get(&self, key: &str) -> Option<Value<'_>> {
        if let Some((_, v)) = self.state.base.iter().rev().find(|(k, _)| k == key) {
            return Some(v.borrowed());
        }
        if key == "evt.args" {
            return self.args_text().map(|t| Value::Str(Cow::Owned(t)));
        }
        let p = self.process?;
        if key.ends_with(']') {
            if let Some((name, level)) = split_ancestor_key(key) {
                return self.state.ancestor_value(p, name, level);
            }
        }
        self.state.proc_value(p, key)
    }

    /// The event time in nanoseconds since the epoch.
    pub fn timestamp_ns(&self) -> Option<u64> {
        quell_events::timestamp_from(&|k| self.get(k))
    }

    /// `evt.args`: the event's arguments as `name=value` pairs in the
    /// record's order (what `evt.arg.*` hold), built only when asked for,
    /// closer to libsinsp's rendering where the event says enough: an fd
    /// the event describes with its type and name (`fd=3(<f>/etc/passwd)`,
    /// `fd=4(<4t>10.0.0.1:40000->10.0.0.2:443)`), `AT_FDCWD` named
    /// (`dirfd=-100(AT_FDCWD)`), and a `chmod` mode with its number
    /// (`mode=04755(S_IXOTH|...|S_ISUID)`).
    fn args_text(&self) -> Option<String> {
        let base = &self.state.base;
        let field = |key: &str| base.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
        // evt.arg.* are text fields: numbers are kept as their decimal text
        let as_i64 = |v: &Value<'_>| match v {
            Value::Int(i) => Some(*i),
            Value::Uint(u) => i64::try_from(*u).ok(),
            Value::Str(t) => t.parse().ok(),
            _ => None,
        };
        // the fd the event's fd.* fields describe, as libsinsp tags it
        let described = field("fd.num").and_then(as_i64).map(|n| {
            let ch = field("fd.typechar")
                .map(|v| v.to_string())
                .unwrap_or_default();
            let proto = match field("fd.l4proto").and_then(|v| v.as_str()) {
                Some("tcp") => "t",
                Some("udp") => "u",
                Some("icmp") => "i",
                Some("raw") => "r",
                _ => "",
            };
            let tag = if ch == "4" || ch == "6" {
                format!("{ch}{proto}")
            } else {
                ch
            };
            let name = field("fd.name").map(|v| v.to_string()).unwrap_or_default();
            (n, format!("(<{tag}>{name})"))
        });
        let chmod = matches!(
            field("evt.type").and_then(|v| v.as_str()),
            Some("chmod" | "fchmod" | "fchmodat" | "fchmodat2")
        );
        let mut out = String::new();
        for (k, v) in base {
            let Some(name) = k.strip_prefix("evt.arg.") else {
                continue;
            };
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(name);
            out.push('=');
            match name {
                "fd" | "oldfd" | "dirfd" | "olddirfd" | "newdirfd" => {
                    out.push_str(&v.to_string());
                    let n = as_i64(v);
                    if name.ends_with("dirfd") && n == Some(flags::AT_FDCWD) {
                        out.push_str("(AT_FDCWD)");
                    } else if let Some((_, tag)) = described.as_ref().filter(|(d, _)| Some(*d) == n)
                    {
                        out.push_str(tag);
                    }
                }
                "mode" if chmod => match v.as_str().and_then(flags::chmod_bits) {
                    Some(bits) => out.push_str(&flags::chmod_mode_arg(bits)),
                    None => out.push_str(&v.to_string()),
                },
                _ => out.push_str(&v.to_string()),
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// The complete event, with every field.
    pub fn to_flat(&self) -> FlatEvent {
        let mut pairs = Vec::with_capacity(self.state.base.len() + 64);
        pairs.extend(self.state.base.iter().cloned());
        if let Some(t) = self.args_text() {
            pairs.push((Cow::Borrowed("evt.args"), Value::Str(Cow::Owned(t))));
        }
        self.state.proc_pairs(self.tgid, &mut pairs);
        FlatEvent::from_pairs(pairs)
    }
}

impl Event for LiveEvent<'_> {
    fn evt_type(&self) -> Option<&str> {
        self.state
            .base
            .iter()
            .rev()
            .find(|(k, _)| k == "evt.type")
            .and_then(|(_, v)| v.as_str())
    }

    fn field(&self, f: &FieldRef) -> Option<Value<'_>> {
        quell_events::field_from(f, &|k| self.get(k))
    }
}

/// Process fields every event may carry, ancestor levels apart.
const PROC_KEYS: &[&str] = &[
    "proc.pid",
    "proc.ppid",
    "proc.vpid",
    "proc.name",
    "proc.exe",
    "proc.exepath",
    "proc.args",
    "proc.cmdline",
    "proc.env",
    "proc.cwd",
    "proc.tty",
    "proc.sid",
    "proc.sname",
    "proc.is_exe_from_memfd",
    "proc.is_exe_upper_layer",
    "proc.exe_ino",
    "proc.exe_ino.ctime",
    "proc.exe_ino.mtime",
    "proc.exe_ino.ctime_duration_proc_start",
    "proc.duration",
    "proc.pid.ts",
    "thread.cap_effective",
    "thread.cap_permitted",
    "thread.cap_inheritable",
    "user.uid",
    "user.name",
    "user.loginuid",
    "user.loginname",
    "group.gid",
    "group.name",
    "proc.pname",
    "proc.pcmdline",
    "proc.pexe",
    "proc.pexepath",
    "container.id",
    "container.name",
    "container.full_id",
    "container.type",
    "container.image",
    "container.image.repository",
    "container.image.tag",
    "k8s.pod.name",
    "k8s.ns.name",
    "k8s.pod.uid",
    "container.privileged",
];

/// Ancestor fields events carry, one key per level.
const ANCESTOR_NAMES: [&str; 4] = ["proc.aname", "proc.apid", "proc.aexe", "proc.aexepath"];

macro_rules! levels {
    ($name:literal) => {
        [
            concat!($name, "[1]"),
            concat!($name, "[2]"),
            concat!($name, "[3]"),
            concat!($name, "[4]"),
            concat!($name, "[5]"),
            concat!($name, "[6]"),
            concat!($name, "[7]"),
            concat!($name, "[8]"),
            concat!($name, "[9]"),
            concat!($name, "[10]"),
            concat!($name, "[11]"),
            concat!($name, "[12]"),
            concat!($name, "[13]"),
            concat!($name, "[14]"),
            concat!($name, "[15]"),
            concat!($name, "[16]"),
        ]
    };
}

static ANAME_KEYS: [&str; MAX_ANCESTORS] = levels!("proc.aname");
static APID_KEYS: [&str; MAX_ANCESTORS] = levels!("proc.apid");
static AEXE_KEYS: [&str; MAX_ANCESTORS] = levels!("proc.aexe");
static AEXEPATH_KEYS: [&str; MAX_ANCESTORS] = levels!("proc.aexepath");

/// The static key of an ancestor field at `level` (1..=MAX_ANCESTORS); `None`
/// for levels events do not carry (`proc.aexe*` stop at level 2).
fn ancestor_key(name: &str, level: usize) -> Option<&'static str> {
    let table = match name {
        "proc.aname" => &ANAME_KEYS,
        "proc.apid" => &APID_KEYS,
        "proc.aexe" | "proc.aexepath" if level > 2 => return None,
        "proc.aexe" => &AEXE_KEYS,
        "proc.aexepath" => &AEXEPATH_KEYS,
        _ => return None,
    };
    table.get(level.checked_sub(1)?).copied()
}

/// `proc.aname[3]` → (`proc.aname`, 3), for canonical ancestor keys only.
fn split_ancestor_key(key: &str) -> Option<(&'static str, usize)> {
    let (name, rest) = key.split_once('[')?;
    let digits = rest.strip_suffix(']')?;
    let name = ANCESTOR_NAMES.iter().find(|n| **n == name)?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let level: usize = digits.parse().ok()?;
    ancestor_key(name, level)?;
    Some((name, level))
}

fn ancestor_field<'s>(
    a: &'s Process,
    name: &str,
    level: usize,
    key: &'static str,
) -> Option<Value<'s>> {
    let ty = proc_key_type(key);
    match name {
        "proc.aname" => text_value(ty, Cow::Borrowed(&a.comm)),
        "proc.apid" => Some(num_value(ty, a.pid as i128)),
        "proc.aexe" if level <= 2 => text_value(ty, Cow::Borrowed(&a.exe)),
        "proc.aexepath" if level <= 2 => text_value(ty, Cow::Borrowed(&a.exepath)),
        _ => None,
    }
}

/// The registry type of a process-derived key (looked up once per key).
fn proc_key_type(key: &str) -> Option<FieldType> {
    static TYPES: OnceLock<FnvMap<&'static str, Option<FieldType>>> = OnceLock::new();
    let table = TYPES.get_or_init(|| {
        let mut m = FnvMap::default();
        let all = PROC_KEYS.iter().chain(
            ANAME_KEYS
                .iter()
                .chain(APID_KEYS.iter())
                .chain(AEXE_KEYS.iter())
                .chain(AEXEPATH_KEYS.iter()),
        );
        for k in all {
            m.insert(*k, registry().resolve_text(k).ok().map(|f| f.ty));
        }
        m
    });
    match table.get(key) {
        Some(t) => *t,
        None => registry().resolve_text(key).ok().map(|f| f.ty),
    }
}

/// A number stored under a field of type `ty`.
fn num_value(ty: Option<FieldType>, v: i128) -> Value<'static> {
    match ty {
        Some(FieldType::Uint) => Value::Uint(v.clamp(0, u64::MAX as i128) as u64),
        Some(FieldType::Int) | None => {
            Value::Int(v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
        }
        Some(FieldType::Bool) => Value::Bool(v != 0),
        Some(_) => own(&v.to_string()),
    }
}

/// Text stored under a field of type `ty`; `None` when it cannot be (a bad IP).
fn text_value(ty: Option<FieldType>, v: Cow<'_, str>) -> Option<Value<'_>> {
    Some(match ty {
        Some(FieldType::Int) => v
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .unwrap_or_else(|_| Value::Str(v)),
        Some(FieldType::Uint) => v
            .trim()
            .parse::<u64>()
            .map(Value::Uint)
            .unwrap_or_else(|_| Value::Str(v)),
        Some(FieldType::Ip) => Value::Ip(v.parse::<IpAddr>().ok()?),
        Some(FieldType::Bool) => Value::Bool(v == "true"),
        _ => Value::Str(v),
    })
}

/// A boolean stored under a field of type `ty`.
fn bool_value(ty: Option<FieldType>, b: bool) -> Value<'static> {
    match ty {
        Some(FieldType::Bool) | None => Value::Bool(b),
        _ => own(if b { "true" } else { "false" }),
    }
}

/// Collects the record's own fields into the state's reused buffer, coercing
/// each value to its field's registry type so a recorded event reads back
/// identical.
pub(super) struct Ev {
    pairs: Vec<Pair>,
    types: FnvMap<(usize, usize), FieldType>,
    host_names: Option<std::sync::Arc<crate::dns::HostNames>>,
}

impl Ev {
    pub(super) fn new(state: &mut State) -> Ev {
        let mut pairs = std::mem::take(&mut state.base);
        pairs.clear();
        Ev {
            pairs,
            types: std::mem::take(&mut state.types),
            host_names: state.host_names.clone(),
        }
    }

    pub(super) fn done(self, state: &mut State) {
        state.types = self.types;
        state.base = self.pairs;
    }

    fn ty(&mut self, key: &'static str) -> Option<FieldType> {
        // Static keys with the same address and length have the same text.
        let id = (key.as_ptr() as usize, key.len());
        if let Some(t) = self.types.get(&id) {
            return Some(*t);
        }
        let f = registry().resolve_text(key).ok()?;
        self.types.insert(id, f.ty);
        Some(f.ty)
    }

    fn put(&mut self, key: &'static str, v: Value<'static>) {
        self.pairs.push((Cow::Borrowed(key), v));
    }

    pub(super) fn text(&mut self, key: &'static str, v: &str) {
        let ty = self.ty(key);
        if let Some(val) = text_value(ty, Cow::Borrowed(v)) {
            self.put(key, val.into_owned());
        }
    }

    /// [`Ev::text`] for fixed text: no copy.
    pub(super) fn text_static(&mut self, key: &'static str, v: &'static str) {
        let ty = self.ty(key);
        if let Some(val) = text_value(ty, Cow::Borrowed(v)) {
            self.put(key, val);
        }
    }

    pub(super) fn num(&mut self, key: &'static str, v: i128) {
        let ty = self.ty(key);
        self.put(key, num_value(ty, v));
    }

    pub(super) fn boolean(&mut self, key: &'static str, b: bool) {
        let ty = self.ty(key);
        self.put(key, bool_value(ty, b));
    }

    /// `key` (a `fd.*ip.name` field) when a resolved name of the rules owns `ip`.
    fn host_name(&mut self, key: &'static str, ip: IpAddr) {
        if let Some(n) = self.host_names.as_ref().and_then(|h| h.name_of(ip)) {
            self.text(key, &n);
        }
    }

    pub(super) fn ip(&mut self, key: &'static str, ip: IpAddr) {
        match self.ty(key) {
            Some(FieldType::Ip) | None => self.put(key, Value::Ip(ip)),
            _ => self.put(key, own(&ip.to_string())),
        }
    }

    pub(super) fn res(&mut self, res: i64) {
        self.num("evt.rawres", res as i128);
        if res >= 0 {
            self.text_static("evt.res", "SUCCESS");
        } else {
            self.text("evt.res", &flags::res_text(res));
        }
        self.boolean("evt.failed", res < 0);
    }

    /// fd.* fields for `fd` described by `info`.
    pub(super) fn fd(&mut self, fd: i64, info: &FdInfo, name_changed: bool) {
        self.num("fd.num", fd as i128);
        let (ty, ch) = match info.kind {
            FdKind::File => ("file", "f"),
            FdKind::Directory => ("directory", "d"),
            FdKind::Pipe => ("pipe", "p"),
            FdKind::Memfd => ("memfd", "m"),
            FdKind::Socket => match info.sock.as_ref().map(|s| s.family) {
                Some(2) => ("ipv4", "4"),
                Some(10) => ("ipv6", "6"),
                Some(1) => ("unix", "u"),
                Some(16) => ("netlink", "n"),
                _ => ("unknown", "o"),
            },
            FdKind::Other => ("unknown", "o"),
        };
        self.text_static("fd.type", ty);
        self.text_static("fd.typechar", ch);
        self.text("fd.name", &info.name);
        self.boolean("fd.name_changed", name_changed);
        match info.kind {
            FdKind::File | FdKind::Directory => {
                self.text("fd.nameraw", &info.nameraw);
                if info.kind == FdKind::Directory {
                    self.text("fd.directory", &info.name);
                } else {
                    self.text("fd.directory", &dirname(&info.name));
                    self.text("fd.filename", basename(&info.name));
                }
            }
            FdKind::Socket => {
                let Some(s) = &info.sock else { return };
                self.boolean("fd.connected", s.connected);
                if s.family == 1 {
                    self.text_static("fd.sockfamily", "unix");
                    return;
                }
                if s.family != 2 && s.family != 10 {
                    return;
                }
                self.text_static("fd.sockfamily", "ip");
                self.text_static("fd.l4proto", l4proto(s));
                let (c, sv) = ends(s);
                if let Some((ip, port)) = c {
                    self.ip("fd.cip", ip);
                    self.host_name("fd.cip.name", ip);
                    self.num("fd.cport", port as i128);
                }
                if let Some((ip, port)) = sv {
                    self.ip("fd.sip", ip);
                    self.host_name("fd.sip.name", ip);
                    self.num("fd.sport", port as i128);
                }
                if let Some((ip, port)) = s.local {
                    self.ip("fd.lip", ip);
                    self.host_name("fd.lip.name", ip);
                    self.num("fd.lport", port as i128);
                }
                if let Some((ip, port)) = s.remote {
                    self.ip("fd.rip", ip);
                    self.host_name("fd.rip.name", ip);
                    self.num("fd.rport", port as i128);
                }
            }
            _ => {}
        }
    }
}

fn own(s: &str) -> Value<'static> {
    Value::Str(Cow::Owned(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{apply, qproc, state, txt};
    use super::*;
    use crate::container::{ContainerRef, MetadataProvider};
    use crate::syscalls;
    use crate::wire::{self, build, decode};

    /// A process in a container gets user and group names from the
    /// container's own /etc/passwd and /etc/group, not the host's.
    #[test]
    fn container_users_come_from_the_containers_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let etc = root.join("300/root/etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            etc.join("passwd"),
            "root:x:0:0::/:/bin/sh\nwww:x:1000:1000::/:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(etc.join("group"), "root:x:0:\nwww-data:x:1000:\n").unwrap();
        let mut s = state();
        s.proc_root = Some(root);
        let c = crate::container::match_cgroup(&format!("/docker/{}", "ab".repeat(32)));
        for (pid, container) in [(300, c), (301, None)] {
            s.insert(Process {
                pid,
                ppid: 1,
                comm: "app".into(),
                container,
                ..Process::default()
            });
        }
        for (pid, user, group) in [(300, "www", "www-data"), (301, "alice", "alice")] {
            let o = build(
                0,
                257,
                pid,
                pid,
                -2,
                [0xffff_ff9c, 0, 0, 0, 0, 0],
                &[b"/x\0"],
            );
            let mut b = o.clone();
            // the record's uid and gid (header offsets 80, 84): 1000
            b[80..84].copy_from_slice(&1000u32.to_le_bytes());
            b[84..88].copy_from_slice(&1000u32.to_le_bytes());
            let e = apply(&mut s, &b);
            assert_eq!(txt(&e, "user.uid"), "1000");
            assert_eq!(txt(&e, "user.name"), user, "pid {pid}");
            assert_eq!(txt(&e, "group.name"), group, "pid {pid}");
        }
    }

    /// `evt.args` (outputs printed `<NA>`): the record's arguments in order.
    #[test]
    fn evt_args_lists_the_arguments() {
        let mut s = state();
        let o = build(
            0,
            257,
            100,
            100,
            3,
            [0xffff_ff9c, 0, 0o1101, 0o644, 0, 0],
            &[b"x.log\0"],
        );
        let r = decode(&o).unwrap();
        let v = s.apply_live(&r).unwrap();
        let want = "fd=3(<f>/home/alice/x.log) dirfd=-100(AT_FDCWD) name=x.log \
                    flags=O_TRUNC|O_CREAT|O_WRONLY mode=0644";
        assert_eq!(
            v.get("evt.args").map(|x| x.to_string()).as_deref(),
            Some(want)
        );
        let f = v.to_flat();
        assert_eq!(txt(&f, "evt.args"), want);
        // chmod: the mode with its number, as libsinsp prints PT_MODE
        let o = build(0, 90, 100, 100, 0, [0, 0o4755, 0, 0, 0, 0], &[b"/tmp/h\0"]);
        let e = apply(&mut s, &o);
        assert_eq!(
            txt(&e, "evt.args"),
            "filename=/tmp/h mode=04755(S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID)"
        );
    }

    #[test]
    fn events_round_trip_through_json() {
        let mut s = state();
        let mut evs = vec![];
        evs.push(apply(
            &mut s,
            &build(
                0,
                257,
                100,
                100,
                3,
                [0xffff_ff9c, 0, 0o1101, 0o644, 0, 0],
                &[b"x.log\0"],
            ),
        ));
        evs.push(apply(
            &mut s,
            &build(0, 41, 100, 100, 4, [2, 2, 17, 0, 0, 0], &[]),
        ));
        evs.push(apply(
            &mut s,
            &build(0, 101, 100, 100, -1, [0, 0, 0, 0, 0, 0], &[]),
        ));
        evs.push(apply(
            &mut s,
            &build(3, 0, 100, 100, 0, [1, 0, 0, 0, 0, 0], &[]),
        ));
        for e in evs {
            let line = e.to_json_line();
            let back = FlatEvent::from_json_line(&line).unwrap();
            assert_eq!(back, e, "{line}");
        }
    }

    /// Every field a rule can name, read through the live view, equals the
    /// same field read from the complete event.
    fn assert_view_matches(s: &mut State, rec: &[u8]) {
        let Ok(r) = decode(rec) else { return };
        let Some(view) = s.apply_live(&r) else {
            return;
        };
        let flat = view.to_flat();
        assert_eq!(view.evt_type(), flat.evt_type());
        assert_eq!(view.timestamp_ns(), flat.timestamp_ns());
        let mut names: Vec<String> = flat.iter().map(|(k, _)| k.to_string()).collect();
        for d in registry().descriptors() {
            names.push(d.name.to_string());
        }
        for a in [
            "proc.aname",
            "proc.apid",
            "proc.aexe",
            "proc.aexepath",
            "proc.acmdline",
        ] {
            for l in 0..=18 {
                names.push(format!("{a}[{l}]"));
            }
            names.push(format!("{a}[03]"));
        }
        for (k, v) in flat.iter() {
            assert_eq!(view.get(k).as_ref(), Some(v), "get({k})");
        }
        for n in names {
            let Ok(f) = registry().resolve_text(&n) else {
                continue;
            };
            assert_eq!(view.field(&f), flat.field(&f), "field {n}");
        }
    }

    #[test]
    fn live_view_reads_like_the_flat_event() {
        let mut s = state();
        s.insert(Process {
            pid: 300,
            ppid: 100,
            sid: 100,
            comm: "runc".into(),
            uid: 1000,
            gid: 1000,
            exe_ino: 5,
            cap_effective: 0x3,
            container: Some(ContainerRef {
                id: "3ad7b26ded6d".into(),
                full_id: "3ad7b26ded6d".repeat(5),
                runtime: "docker",
            }),
            ..Process::default()
        });
        let q = qproc(100, "sh");
        let recs = [
            build(2, 0, 100, 100, 200, [200, 0, 0, 0, 0, 0], &[&q]),
            build(
                1,
                59,
                200,
                200,
                0,
                [200, 0, 0, 0, 0, 0],
                &[b"/bin/sh\0", b"sh\0-c\0id\0", &q],
            ),
            build(
                0,
                257,
                200,
                200,
                3,
                [0xffff_ff9c, 0, 0o1101, 0o644, 0, 0],
                &[b"x.log\0"],
            ),
            build(
                0,
                257,
                300,
                300,
                -13,
                [0xffff_ff9c, 0, 0, 0, 0, 0],
                &[b"/etc/shadow\0"],
            ),
            build(0, 41, 300, 300, 4, [2, 1, 6, 0, 0, 0], &[]),
            build(0, 101, 100, 100, 0, [16, 300, 0, 0, 0, 0], &[]),
            build(0, 117, 100, 100, 0, [1, 2, 3, 0, 0, 0], &[]),
            build(
                0,
                257,
                999,
                999,
                3,
                [0xffff_ff9c, 0, 0, 0, 0, 0],
                &[b"/tmp/y\0"],
            ),
            build(3, 0, 200, 200, 256, [1, 0, 0, 0, 0, 0], &[]),
        ];
        for r in &recs {
            assert_view_matches(&mut s, r);
        }
        // the parent-missing quirk and a container process are covered
        let r = decode(&recs[3]).unwrap();
        let v = s.apply_live(&r).unwrap();
        assert_eq!(
            v.get("container.type"),
            Some(Value::Str(Cow::Borrowed("docker")))
        );
        assert_eq!(
            v.get("proc.aname[2]"),
            Some(Value::Str(Cow::Borrowed("init")))
        );
        assert_eq!(v.get("proc.aname[3]"), None);
        // the record's uid (0) replaced the seeded one
        assert_eq!(v.get("user.name"), Some(Value::Str(Cow::Borrowed("root"))));
        assert_eq!(v.get("user.loginuid"), Some(Value::Int(0)));
    }

    /// Events of every record kind and syscall quell decodes, from a process
    /// in a described container: what `quell run` can produce.
    pub(crate) fn corpus_fields() -> std::collections::BTreeSet<String> {
        use quell_rules::field::ArgKind;
        let dir = tempfile::tempdir().unwrap();
        let full = "3ad7b26ded6d".repeat(5) + "abcd";
        let d = dir.path().join("var/lib/docker/containers").join(&full);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("config.v2.json"),
            r#"{"Name":"/web","Config":{"Image":"nginx:1.25","Labels":{"io.kubernetes.pod.name":"p","io.kubernetes.pod.namespace":"n","io.kubernetes.pod.uid":"u"}},"HostConfig":{"Privileged":true}}"#,
        )
        .unwrap();
        let names = crate::dns::Names::resolve_all(
            ["local.example"],
            &|_: &str| vec![IpAddr::from([127, 0, 0, 1])],
            std::time::Instant::now(),
        );
        let mut s = state()
            .with_metadata(MetadataProvider::with_root(dir.path()))
            .with_host_names(std::sync::Arc::new(crate::dns::HostNames::fixed(names)));
        s.insert(Process {
            pid: 300,
            ppid: 100,
            sid: 100,
            comm: "sh".into(),
            loginuid: 1000,
            exe_ino: 5,
            exe_ctime: 1,
            exe_mtime: 1,
            start_ns: 1,
            container: crate::container::match_cgroup(&format!("/docker/{full}")),
            ..Process::default()
        });
        let mut tu = vec![0u8; wire::TUPLE_LEN];
        tu[0] = 2;
        tu[2] = 1;
        tu[4] = 6;
        tu[6..8].copy_from_slice(&45000u16.to_le_bytes());
        tu[8..10].copy_from_slice(&8080u16.to_le_bytes());
        tu[12..16].copy_from_slice(&[127, 0, 0, 1]);
        tu[28..32].copy_from_slice(&[127, 0, 0, 1]);
        let sa = [2u8, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut q = qproc(100, "sh");
        q[36..40].copy_from_slice(&wire::QP_UPPER_KNOWN.to_le_bytes());
        q.resize(wire::PROC_EXT_LEN, 0);
        q[96..104].copy_from_slice(&500u64.to_le_bytes());
        let mut recs = vec![
            build(2, 0, 300, 300, 301, [301, 0, 0, 0, 0, 0], &[&q]),
            build(
                1,
                59,
                300,
                300,
                0,
                [300, 0, 0, 0, 0, 0],
                &[b"/bin/sh\0", b"sh\0-c\0id\0", &q, b"sh\0"],
            ),
            build(0, 41, 300, 300, 4, [2, 1, 6, 0, 0, 0], &[]),
            build(0, 42, 300, 300, 0, [4, 0, 16, 0, 0, 0], &[&sa, &tu]),
            build(3, 0, 300, 300, 0, [0; 6], &[]),
        ];
        for (nr, _) in syscalls::SYSCALLS {
            let blobs: [&[u8]; 2] = [b"/etc/x/../shadow\0", b"/tmp/y\0"];
            for fd in [4u64, 0xffff_ff9c] {
                recs.push(build(
                    0,
                    *nr,
                    300,
                    300,
                    5,
                    [fd, 0o1101, fd, 0o755, 7, 8],
                    &blobs,
                ));
            }
            recs.push(build(0, *nr, 300, 300, -2, [4, 0, 0, 0, 0, 0], &blobs));
        }
        // filter-only fields (fd.net, fd.port, ...) exist only in conditions:
        // read them through a rule each
        let mut engine = quell_rules::engine::Engine::new();
        let mut yaml = String::new();
        for d in registry().descriptors().iter().filter(|d| d.filter_only) {
            yaml.push_str(&format!(
                "- rule: {n}\n  desc: d\n  condition: evt.type = connect and {n} exists\n  output: o\n  priority: INFO\n",
                n = d.name
            ));
        }
        engine.load("filter-only.yaml", &yaml);
        let mut out = std::collections::BTreeSet::new();
        for rec in &recs {
            let r = decode(rec).unwrap();
            let Some(view) = s.apply_live(&r) else {
                continue;
            };
            let flat = view.to_flat();
            for r in engine.rules() {
                if engine.matches(r, &view) {
                    out.insert(r.name.clone());
                }
            }
            for d in registry().descriptors() {
                let produced = match d.arg {
                    ArgKind::DottedName | ArgKind::Key => flat.iter().any(|(k, _)| {
                        k.strip_prefix(d.name)
                            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
                    }),
                    ArgKind::Index => registry()
                        .resolve(d.name, Some("1"))
                        .is_ok_and(|f| view.field(&f).is_some()),
                    _ => registry()
                        .resolve(d.name, None)
                        .is_ok_and(|f| view.field(&f).is_some()),
                };
                if produced {
                    out.insert(d.name.to_string());
                }
            }
        }
        out
    }

    /// `proc.env` is the environment the exec record carries (libsinsp's
    /// joined form), `proc.env[NAME]` one variable; a forked child has its
    /// parent's until it execs.
    #[test]
    fn the_environment_comes_with_the_exec() {
        let mut s = state();
        let q = qproc(100, "sh");
        let exec = build(
            1,
            59,
            300,
            300,
            0,
            [300, 0, 0, 0, 0, 0],
            &[
                b"/bin/sh\0",
                b"sh\0-c\0id\0",
                &q,
                b"sh\0",
                b"HOME=/root\0HTTP_PROXY=http://p:3128\0",
            ],
        );
        let e = apply(&mut s, &exec);
        assert_eq!(txt(&e, "proc.env"), "HOME=/root HTTP_PROXY=http://p:3128");
        let view = s.apply_live(&decode(&exec).unwrap()).unwrap();
        let f = registry().resolve_text("proc.env[HTTP_PROXY]").unwrap();
        assert_eq!(
            view.field(&f).map(|v| v.to_string()).as_deref(),
            Some("http://p:3128")
        );
        let fork = build(
            2,
            0,
            300,
            300,
            301,
            [301, 0, 0, 0, 0, 0],
            &[&qproc(300, "sh")],
        );
        apply(&mut s, &fork);
        let child = apply(&mut s, &build(0, 41, 301, 301, 4, [2, 1, 6, 0, 0, 0], &[]));
        assert_eq!(
            txt(&child, "proc.env"),
            "HOME=/root HTTP_PROXY=http://p:3128"
        );
        // an exec with another environment replaces it
        let exec2 = build(
            1,
            59,
            301,
            301,
            0,
            [301, 0, 0, 0, 0, 0],
            &[b"/bin/id\0", b"id\0", &qproc(300, "id"), b"id\0", b"A=1\0"],
        );
        assert_eq!(txt(&apply(&mut s, &exec2), "proc.env"), "A=1");
    }

    /// A connection to an address a condition's host name resolved to gets
    /// that name in `fd.sip.name` (and `fd.rip.name`), the client side its
    /// own; an address no name owns leaves the fields missing.
    #[test]
    fn connections_get_the_names_the_rules_resolved() {
        let names = crate::dns::Names::resolve_all(
            ["kubernetes.default.svc.cluster.local", "me.example"],
            &|n: &str| match n {
                "kubernetes.default.svc.cluster.local" => vec![IpAddr::from([10, 96, 0, 1])],
                _ => vec![IpAddr::from([10, 0, 0, 5])],
            },
            std::time::Instant::now(),
        );
        let mut s =
            state().with_host_names(std::sync::Arc::new(crate::dns::HostNames::fixed(names)));
        let connect = |s: &mut State, fd: u64, server: [u8; 4]| {
            let mut tu = vec![0u8; wire::TUPLE_LEN];
            tu[0] = 2;
            tu[2] = 1;
            tu[4] = 6;
            tu[6..8].copy_from_slice(&45000u16.to_le_bytes());
            tu[8..10].copy_from_slice(&443u16.to_le_bytes());
            tu[12..16].copy_from_slice(&[10, 0, 0, 5]);
            tu[28..32].copy_from_slice(&server);
            let mut sa = vec![2u8, 0, 0x01, 0xbb];
            sa.extend_from_slice(&server);
            sa.resize(16, 0);
            apply(
                s,
                &build(0, 41, 100, 100, fd as i64, [2, 1, 6, 0, 0, 0], &[]),
            );
            apply(
                s,
                &build(0, 42, 100, 100, 0, [fd, 0, 16, 0, 0, 0], &[&sa, &tu]),
            )
        };
        let e = connect(&mut s, 4, [10, 96, 0, 1]);
        assert_eq!(txt(&e, "fd.sip"), "10.96.0.1");
        assert_eq!(
            txt(&e, "fd.sip.name"),
            "kubernetes.default.svc.cluster.local"
        );
        assert_eq!(
            txt(&e, "fd.rip.name"),
            "kubernetes.default.svc.cluster.local"
        );
        assert_eq!(txt(&e, "fd.cip.name"), "me.example");
        assert_eq!(txt(&e, "fd.lip.name"), "me.example");
        let e = connect(&mut s, 5, [10, 96, 0, 2]);
        assert_eq!(txt(&e, "fd.sip"), "10.96.0.2");
        assert_eq!(txt(&e, "fd.sip.name"), "<NA>");
        // without names, nothing is looked up
        let mut plain = state();
        let e = connect(&mut plain, 4, [10, 96, 0, 1]);
        assert_eq!(txt(&e, "fd.sip.name"), "<NA>");
    }

    /// The registry's list of fields not available live and what `quell
    /// run` produces are complementary: a field is produced by some event of
    /// every record kind and syscall quell decodes, or marked with why not.
    #[test]
    fn every_registry_field_is_produced_live_or_marked_unavailable() {
        let produced = corpus_fields();
        let mut wrong = vec![];
        for d in registry().descriptors() {
            let marked = quell_rules::fields_table::not_live_reason(d.name);
            match (produced.contains(d.name), marked) {
                (true, Some(why)) => {
                    wrong.push(format!("{} is produced but marked `{why}`", d.name))
                }
                (false, None) => wrong.push(format!("{} is neither produced nor marked", d.name)),
                _ => {}
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    proptest::proptest! {
        #[test]
        fn live_view_matches_on_random_records(
            recs in proptest::collection::vec((0u16..4,
                proptest::sample::select(syscalls::SYSCALLS.iter().map(|x| x.0).collect::<Vec<_>>()),
                proptest::sample::select(vec![1u32, 100, 200, 4242]),
                -20i64..10, proptest::array::uniform6(proptest::sample::select(vec![0u64, 1, 3, 100, 200, 0xffff_ff9c, 0o1101])),
                proptest::sample::select(vec![&b"/etc/passwd\0"[..], b"rel/../x\0", b"", b"\0"])), 1..8)
        ) {
            let mut s = state();
            let q = qproc(100, "child");
            for (kind, sysno, tg, res, a, path) in recs {
                let blobs: [&[u8]; 3] = if kind == 2 { [&q, &[], &[]] } else { [path, path, &q] };
                let rec = build(kind, sysno, tg, tg, res, a, &blobs);
                assert_view_matches(&mut s, &rec);
            }
        }
    }
}
