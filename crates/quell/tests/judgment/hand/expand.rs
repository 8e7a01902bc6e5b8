//! The expander of the hand-written judgment corpus: one YAML file per scenario family
//! (`hand/<label>/<family>.yaml`) describing processes, their lineage and what they do,
//! expanded into flat JSON events (the fields a Falco capture would carry) with pids,
//! sessions, container ids and times unique to each scenario.
//!
//! Format (see hand/README.md for the full description):
//!
//! ```yaml
//! family: log-rotation-by-hand
//! label: benign
//! scenarios:
//!   - name: rm-dpkg-log
//!     note: an operator deletes a package log through kubectl exec
//!     expect: [Clear Log Activities]
//!     container: {image: "docker.io/library/httpd:2.4", name: web}
//!     k8s: {ns: shop, pod: web-7d9f6c-x2l}
//!     procs:
//!       shim: {exe: /usr/bin/containerd-shim-runc-v2, cmd: "containerd-shim-runc-v2 -namespace k8s.io", pre: true}
//!       sh:   {parent: shim, exe: /bin/sh, cmd: "sh -i", ctr: true, tty: 34816, sid: new}
//!       rm:   {parent: sh, exe: /bin/rm, cmd: "rm /var/log/dpkg.log"}
//!     steps:
//!       - "sh: open /etc/passwd"
//!       - "rm: unlink /var/log/dpkg.log"
//!     variants:
//!       - subst: {dpkg.log: alternatives.log}
//!     near:
//!       - note: the same deletion from the web server's shell
//!         procs: {sh: {parent: httpd, tty: 0}, httpd: {parent: shim, exe: /usr/sbin/httpd, pre: true, ctr: true}}
//! ```

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value as Json};
use yaml_rust2::{Yaml, YamlLoader};

/// Benign or malicious.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Label {
    /// Operations work.
    Benign,
    /// An attack.
    Malicious,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Benign => "benign",
            Label::Malicious => "malicious",
        }
    }
}

/// What a scenario is relative to its base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A base scenario.
    Base,
    /// `@variant-k` of a benign base.
    Variant(usize),
    /// `@near-k` of a benign base (label malicious).
    Near(usize),
}

/// One expanded scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub family: String,
    /// `<family>__<scenario>`.
    pub base: String,
    /// The full name: the base, optionally followed by `@variant-k` or `@near-k`.
    pub name: String,
    pub label: Label,
    pub kind: Kind,
    /// Upstream rules that must fire on it (exactly these).
    pub expect: Vec<String>,
    pub note: String,
    /// The events, as flat JSON objects in time order.
    pub events: Vec<Map<String, Json>>,
}

impl Scenario {
    /// The events as JSON Lines.
    pub fn jsonl(&self) -> String {
        let mut s = String::new();
        for e in &self.events {
            s.push_str(&serde_json::to_string(e).unwrap());
            s.push('\n');
        }
        s
    }
}

/// Allocates identifiers so that no two scenarios share a pid, session, container or time.
#[derive(Debug)]
pub struct Alloc {
    next_pid: i64,
    next_slot: u64,
}

/// The first event's time: 2026-11-02 00:00:00 UTC.
pub const T0: u64 = 1_793_577_600_000_000_000;
const SLOT_NS: u64 = 3_600_000_000_000;
const PIDS_PER_SCENARIO: i64 = 200;

impl Default for Alloc {
    fn default() -> Self {
        Alloc {
            next_pid: 40_000,
            next_slot: 0,
        }
    }
}

impl Alloc {
    fn take(&mut self) -> (i64, u64) {
        let p = self.next_pid;
        let t = T0 + self.next_slot * SLOT_NS;
        self.next_pid += PIDS_PER_SCENARIO;
        self.next_slot += 1;
        (p, t)
    }
}

/// FNV-1a 64-bit.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------- YAML helpers

fn s(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(v) => Some(v.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get<'a>(y: &'a Yaml, k: &str) -> &'a Yaml {
    &y[k]
}

fn req_str(y: &Yaml, k: &str, ctx: &str) -> Result<String, String> {
    s(get(y, k)).ok_or_else(|| format!("{ctx}: missing or non-scalar `{k}`"))
}

fn str_list(y: &Yaml, ctx: &str) -> Result<Vec<String>, String> {
    match y {
        Yaml::BadValue | Yaml::Null => Ok(vec![]),
        Yaml::Array(a) => a
            .iter()
            .map(|v| s(v).ok_or_else(|| format!("{ctx}: a list item is not a scalar")))
            .collect(),
        other => s(other)
            .map(|v| vec![v])
            .ok_or_else(|| format!("{ctx}: expected a list")),
    }
}

/// Replaces substrings in every string of a YAML tree (keys included), longest first.
fn subst(y: &Yaml, pairs: &[(String, String)]) -> Yaml {
    let apply = |v: &str| {
        let mut out = v.to_string();
        for (a, b) in pairs {
            out = out.replace(a.as_str(), b.as_str());
        }
        out
    };
    match y {
        Yaml::String(v) => Yaml::String(apply(v)),
        Yaml::Array(a) => Yaml::Array(a.iter().map(|v| subst(v, pairs)).collect()),
        Yaml::Hash(h) => Yaml::Hash(
            h.iter()
                .map(|(k, v)| (subst(k, pairs), subst(v, pairs)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Overlays `top` on `base` (hashes merged recursively, anything else replaced).
fn overlay(base: &Yaml, top: &Yaml) -> Yaml {
    match (base, top) {
        (Yaml::Hash(b), Yaml::Hash(t)) => {
            let mut out = b.clone();
            for (k, v) in t {
                let merged = match b.get(k) {
                    Some(old) => overlay(old, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Yaml::Hash(out)
        }
        (_, t) => t.clone(),
    }
}

// ---------------------------------------------------------------- the model

#[derive(Clone, Debug)]
struct ProcDef {
    id: String,
    parent: Option<String>,
    exe: String,
    cmd: String,
    comm: Option<String>,
    user: Option<String>,
    uid: Option<i64>,
    loginuid: Option<i64>,
    tty: Option<i64>,
    new_sid: bool,
    cwd: Option<String>,
    ctr: Option<bool>,
    pre: bool,
    env: Option<String>,
    memfd: bool,
    upper: bool,
    init: bool,
}

/// A process as it runs: resolved attributes.
#[derive(Clone, Debug)]
struct Proc {
    pid: i64,
    vpid: i64,
    ppid: i64,
    sid: i64,
    tty: i64,
    name: String,
    exe: String,
    exepath: String,
    args: String,
    cmdline: String,
    user: String,
    uid: i64,
    loginuid: i64,
    cwd: String,
    in_ctr: bool,
    env: Option<String>,
    memfd: bool,
    upper: bool,
    parent: Option<String>,
    next_fd: i64,
    started: bool,
}

fn uid_of(user: &str) -> i64 {
    match user {
        "root" => 0,
        "daemon" => 1,
        "bin" => 2,
        "sys" => 3,
        "www-data" => 33,
        "backup" => 34,
        "list" => 38,
        "nobody" => 65534,
        "_apt" => 42,
        "systemd-network" => 100,
        "messagebus" => 101,
        "postfix" => 106,
        "sshd" => 105,
        "mysql" => 112,
        "postgres" => 113,
        "redis" => 114,
        "prometheus" => 115,
        "node-exporter" => 116,
        "dd-agent" => 117,
        "zabbix" => 118,
        "nginx" => 101,
        "gitlab-runner" => 998,
        "jenkins" => 997,
        "git" => 996,
        "app" => 1000,
        "admin" => 1001,
        "deploy" => 1002,
        "ubuntu" => 1000,
        "ci" => 1003,
        "alice" => 1004,
        "bob" => 1005,
        "ops" => 1006,
        _ => 1100 + (fnv1a64(user.as_bytes()) % 800) as i64,
    }
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

fn dirname(p: &str) -> String {
    match p.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => p[..i].into(),
        None => ".".into(),
    }
}

fn parse_proc(id: &str, y: &Yaml, ctx: &str) -> Result<ProcDef, String> {
    let ctx = format!("{ctx}, process `{id}`");
    if !matches!(y, Yaml::Hash(_)) {
        return Err(format!("{ctx}: expected a mapping"));
    }
    if let Yaml::Hash(h) = y {
        for k in h.keys() {
            let k = s(k).unwrap_or_default();
            const KNOWN: &[&str] = &[
                "parent", "exe", "cmd", "comm", "user", "uid", "loginuid", "tty", "sid", "cwd",
                "ctr", "host", "pre", "env", "memfd", "upper", "init",
            ];
            if !KNOWN.contains(&k.as_str()) {
                return Err(format!("{ctx}: unknown key `{k}`"));
            }
        }
    }
    let exe = req_str(y, "exe", &ctx)?;
    let cmd = s(get(y, "cmd")).unwrap_or_else(|| basename(&exe).to_string());
    let int = |k: &str| -> Result<Option<i64>, String> {
        match get(y, k) {
            Yaml::BadValue | Yaml::Null => Ok(None),
            Yaml::Integer(i) => Ok(Some(*i)),
            _ => Err(format!("{ctx}: `{k}` must be an integer")),
        }
    };
    let boolean = |k: &str| -> Result<Option<bool>, String> {
        match get(y, k) {
            Yaml::BadValue | Yaml::Null => Ok(None),
            Yaml::Boolean(b) => Ok(Some(*b)),
            _ => Err(format!("{ctx}: `{k}` must be true or false")),
        }
    };
    let ctr = match (boolean("ctr")?, boolean("host")?) {
        (Some(true), Some(true)) => return Err(format!("{ctx}: both ctr and host")),
        (Some(c), _) => Some(c),
        (None, Some(h)) => Some(!h),
        (None, None) => None,
    };
    let new_sid = match get(y, "sid") {
        Yaml::BadValue | Yaml::Null => false,
        Yaml::String(v) if v == "new" => true,
        _ => return Err(format!("{ctx}: `sid` can only be `new`")),
    };
    Ok(ProcDef {
        id: id.to_string(),
        parent: s(get(y, "parent")),
        exe,
        cmd,
        comm: s(get(y, "comm")),
        user: s(get(y, "user")),
        uid: int("uid")?,
        loginuid: int("loginuid")?,
        tty: int("tty")?,
        new_sid,
        cwd: s(get(y, "cwd")),
        ctr,
        pre: boolean("pre")?.unwrap_or(false),
        env: s(get(y, "env")),
        memfd: boolean("memfd")?.unwrap_or(false),
        upper: boolean("upper")?.unwrap_or(false),
        init: boolean("init")?.unwrap_or(false),
    })
}

/// Where the scenario runs.
#[derive(Clone, Debug, Default)]
struct Place {
    image: Option<(String, String)>,
    ctr_name: Option<String>,
    privileged: bool,
    ns: Option<String>,
    pod: Option<String>,
    ip: String,
}

/// Expands one scenario definition (after variant edits) into events.
fn expand_one(
    y: &Yaml,
    full_name: &str,
    ctx: &str,
    alloc: &mut Alloc,
) -> Result<Vec<Map<String, Json>>, String> {
    let (pid_base, t_base) = alloc.take();
    let h = fnv1a64(full_name.as_bytes());
    // Place.
    let mut place = Place {
        ip: format!(
            "10.{}.{}.{}",
            20 + (h % 40),
            (h >> 8) % 250 + 1,
            (h >> 16) % 250 + 2
        ),
        ..Place::default()
    };
    if let Some(ip) = s(get(y, "ip")) {
        place.ip = ip;
    }
    let c = get(y, "container");
    if !matches!(c, Yaml::BadValue | Yaml::Null) {
        let image = req_str(c, "image", &format!("{ctx}, container"))?;
        let (repo, tag) = match image.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
            _ => (image.clone(), "latest".to_string()),
        };
        place.image = Some((repo, tag));
        place.ctr_name = s(get(c, "name"));
        place.privileged = matches!(get(c, "privileged"), Yaml::Boolean(true));
    }
    let k = get(y, "k8s");
    if !matches!(k, Yaml::BadValue | Yaml::Null) {
        place.ns = Some(req_str(k, "ns", &format!("{ctx}, k8s"))?);
        place.pod = Some(req_str(k, "pod", &format!("{ctx}, k8s"))?);
    }
    let cid = format!("{:012x}", h & 0xffff_ffff_ffff);
    let full_cid = format!(
        "{:016x}{:016x}{:016x}{:016x}",
        h,
        h.rotate_left(17),
        h.rotate_left(31),
        h.rotate_left(47)
    );

    // Processes.
    let mut defs: Vec<ProcDef> = Vec::new();
    match get(y, "procs") {
        Yaml::Hash(hm) => {
            for (k, v) in hm {
                let id = s(k).ok_or_else(|| format!("{ctx}: a process id is not a scalar"))?;
                defs.push(parse_proc(&id, v, ctx)?);
            }
        }
        _ => return Err(format!("{ctx}: `procs` must be a mapping")),
    }
    let by_id: HashMap<String, usize> = defs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i))
        .collect();
    for d in &defs {
        if let Some(p) = &d.parent {
            if !by_id.contains_key(p) {
                return Err(format!(
                    "{ctx}: process `{}` has unknown parent `{p}`",
                    d.id
                ));
            }
        }
    }
    if place.image.is_none() && defs.iter().any(|d| d.ctr == Some(true)) {
        return Err(format!(
            "{ctx}: a process is in a container but the scenario has none"
        ));
    }
    // Resolve in parent-first order.
    let mut procs: BTreeMap<String, Proc> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut next_vpid = 1;
    fn depth(defs: &[ProcDef], by_id: &HashMap<String, usize>, i: usize, n: usize) -> usize {
        if n > defs.len() {
            return n;
        }
        match &defs[i].parent {
            Some(p) => 1 + depth(defs, by_id, by_id[p], n + 1),
            None => 0,
        }
    }
    let mut idx: Vec<usize> = (0..defs.len()).collect();
    for &i in &idx {
        if depth(&defs, &by_id, i, 0) > defs.len() {
            return Err(format!("{ctx}: the lineage of `{}` is a cycle", defs[i].id));
        }
    }
    idx.sort_by_key(|&i| (depth(&defs, &by_id, i, 0), i));
    for (n, &i) in idx.iter().enumerate() {
        let d = &defs[i];
        let parent = d.parent.as_ref().map(|p| procs[p].clone());
        let pid = pid_base + 1 + n as i64;
        let in_ctr = d
            .ctr
            .unwrap_or_else(|| parent.as_ref().map(|p| p.in_ctr).unwrap_or(false));
        let vpid = if in_ctr {
            if d.init {
                1
            } else {
                next_vpid += 1;
                next_vpid + 5
            }
        } else {
            pid
        };
        let user = d
            .user
            .clone()
            .or_else(|| parent.as_ref().map(|p| p.user.clone()))
            .unwrap_or_else(|| "root".into());
        let uid = d.uid.unwrap_or_else(|| uid_of(&user));
        let mut toks = d.cmd.splitn(2, ' ');
        let argv0 = toks.next().unwrap_or("").to_string();
        let args = toks.next().unwrap_or("").to_string();
        let name = d.comm.clone().unwrap_or_else(|| {
            let b = basename(&d.exe);
            b.chars().take(15).collect()
        });
        let cmdline = if args.is_empty() {
            name.clone()
        } else {
            format!("{name} {args}")
        };
        let p = Proc {
            pid,
            vpid,
            ppid: parent.as_ref().map(|p| p.pid).unwrap_or(1),
            sid: match &parent {
                Some(pp) if !d.new_sid => pp.sid,
                _ => pid,
            },
            tty: d
                .tty
                .unwrap_or_else(|| parent.as_ref().map(|p| p.tty).unwrap_or(0)),
            name,
            exe: argv0,
            exepath: d.exe.clone(),
            args,
            cmdline,
            user,
            uid,
            loginuid: d
                .loginuid
                .unwrap_or_else(|| parent.as_ref().map(|p| p.loginuid).unwrap_or(-1)),
            cwd: d
                .cwd
                .clone()
                .or_else(|| parent.as_ref().map(|p| p.cwd.clone()))
                .unwrap_or_else(|| "/".into()),
            in_ctr,
            env: d
                .env
                .clone()
                .or_else(|| parent.as_ref().and_then(|p| p.env.clone())),
            memfd: d.memfd,
            upper: d.upper,
            parent: d.parent.clone(),
            next_fd: 3,
            started: d.pre,
        };
        procs.insert(d.id.clone(), p);
        order.push(d.id.clone());
    }

    // Steps.
    let steps = str_list(get(y, "steps"), &format!("{ctx}, steps"))?;
    if steps.is_empty() {
        return Err(format!("{ctx}: no steps"));
    }
    let mut ev_out: Vec<Map<String, Json>> = Vec::new();
    let mut t = t_base + 1_000_000_000;
    let mut evt_num: i64 = 1;
    let mut written: Vec<String> = Vec::new();
    let mut last_sock: HashMap<String, Map<String, Json>> = HashMap::new();
    let mut exec_order: Vec<String> = Vec::new();
    let mut rng = h;
    let tick = |rng: &mut u64| {
        *rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        3_000_000 + (*rng >> 33) % 40_000_000
    };

    let ctx_fields = |id: &str, procs: &BTreeMap<String, Proc>| -> Map<String, Json> {
        let p = &procs[id];
        let mut m = Map::new();
        m.insert("proc.pid".into(), json!(p.pid));
        m.insert("thread.tid".into(), json!(p.pid));
        m.insert("proc.vpid".into(), json!(p.vpid));
        m.insert("proc.ppid".into(), json!(p.ppid));
        m.insert("proc.sid".into(), json!(p.sid));
        m.insert("proc.tty".into(), json!(p.tty));
        m.insert("proc.name".into(), json!(p.name));
        m.insert("proc.exe".into(), json!(p.exe));
        m.insert("proc.exepath".into(), json!(p.exepath));
        m.insert("proc.args".into(), json!(p.args));
        m.insert("proc.cmdline".into(), json!(p.cmdline));
        m.insert("proc.cwd".into(), json!(p.cwd));
        m.insert("proc.is_exe_from_memfd".into(), json!(p.memfd));
        m.insert("proc.is_exe_upper_layer".into(), json!(p.upper && p.in_ctr));
        if let Some(env) = &p.env {
            m.insert("proc.env".into(), json!(env));
        }
        m.insert("user.name".into(), json!(p.user));
        m.insert("user.uid".into(), json!(p.uid));
        m.insert("user.loginuid".into(), json!(p.loginuid));
        m.insert("group.gid".into(), json!(p.uid));
        m.insert("group.name".into(), json!(p.user));
        let caps = if p.uid != 0 {
            ""
        } else if !p.in_ctr || place.privileged {
            CAPS_ALL
        } else {
            CAPS_CONTAINER
        };
        m.insert("thread.cap_effective".into(), json!(caps));
        m.insert("thread.cap_permitted".into(), json!(caps));
        // Ancestors (an implicit systemd, pid 1, above the declared roots).
        let mut n = 1;
        let mut cur = p.parent.clone();
        let mut sname: Option<String> = None;
        while let Some(pid) = cur {
            let a = &procs[&pid];
            if n == 1 {
                m.insert("proc.pname".into(), json!(a.name));
                m.insert("proc.pexe".into(), json!(a.exe));
                m.insert("proc.pexepath".into(), json!(a.exepath));
                m.insert("proc.pcmdline".into(), json!(a.cmdline));
            }
            if a.pid == p.sid {
                sname = Some(a.name.clone());
            }
            m.insert(format!("proc.aname[{n}]"), json!(a.name));
            m.insert(format!("proc.aexe[{n}]"), json!(a.exe));
            m.insert(format!("proc.aexepath[{n}]"), json!(a.exepath));
            m.insert(format!("proc.apid[{n}]"), json!(a.pid));
            n += 1;
            cur = a.parent.clone();
        }
        if n == 1 {
            m.insert("proc.pname".into(), json!("systemd"));
            m.insert("proc.pexe".into(), json!("/sbin/init"));
            m.insert("proc.pexepath".into(), json!("/usr/lib/systemd/systemd"));
            m.insert("proc.pcmdline".into(), json!("systemd --system"));
        }
        m.insert(format!("proc.aname[{n}]"), json!("systemd"));
        m.insert(
            format!("proc.aexepath[{n}]"),
            json!("/usr/lib/systemd/systemd"),
        );
        m.insert(format!("proc.apid[{n}]"), json!(1));
        if p.sid == p.pid {
            sname = Some(p.name.clone());
        }
        if let Some(sn) = sname {
            m.insert("proc.sname".into(), json!(sn));
        }
        if p.in_ctr {
            m.insert("container.id".into(), json!(cid));
            m.insert("container.full_id".into(), json!(full_cid));
            m.insert("container.type".into(), json!("containerd"));
            if let Some((repo, tag)) = &place.image {
                m.insert("container.image.repository".into(), json!(repo));
                m.insert("container.image.tag".into(), json!(tag));
                m.insert("container.image".into(), json!(format!("{repo}:{tag}")));
            }
            let cname = place
                .ctr_name
                .clone()
                .or_else(|| place.image.as_ref().map(|(r, _)| basename(r).to_string()))
                .unwrap_or_default();
            m.insert("container.name".into(), json!(cname));
            m.insert("container.privileged".into(), json!(place.privileged));
            if let (Some(ns), Some(pod)) = (&place.ns, &place.pod) {
                m.insert("k8s.ns.name".into(), json!(ns));
                m.insert("k8s.pod.name".into(), json!(pod));
            }
        } else {
            m.insert("container.id".into(), json!("host"));
            m.insert("container.name".into(), json!("host"));
        }
        m
    };

    for (si, step) in steps.iter().enumerate() {
        let sctx = format!("{ctx}, step {} `{step}`", si + 1);
        let (who, rest) = step
            .split_once(':')
            .ok_or_else(|| format!("{sctx}: expected `process: action`"))?;
        let who = who.trim();
        let mut words = rest.split_whitespace();
        let verb = words.next().ok_or_else(|| format!("{sctx}: no action"))?;
        let argv: Vec<&str> = words.collect();
        if who == "wait" || who == "time" {
            // `wait: 30s`
            let d = verb;
            let (num, unit) = d.split_at(d.find(|c: char| !c.is_ascii_digit()).unwrap_or(d.len()));
            let n: u64 = num.parse().map_err(|_| format!("{sctx}: bad duration"))?;
            let mul = match unit {
                "ms" => 1_000_000,
                "s" | "" => 1_000_000_000,
                "m" => 60_000_000_000,
                _ => return Err(format!("{sctx}: bad duration unit")),
            };
            t += n * mul;
            continue;
        }
        if !procs.contains_key(who) {
            return Err(format!("{sctx}: unknown process `{who}`"));
        }
        // Implicit exec of the process (and of its not yet started ancestors) before its first action.
        let mut chain = vec![who.to_string()];
        while let Some(p) = procs[chain.last().unwrap()].parent.clone() {
            chain.push(p);
        }
        for id in chain.iter().rev() {
            if !procs[id].started {
                procs.get_mut(id).unwrap().started = true;
                if written.contains(&procs[id].exepath) && procs[id].in_ctr {
                    procs.get_mut(id).unwrap().upper = true;
                }
                t += tick(&mut rng);
                let mut m = ctx_fields(id, &procs);
                m.insert("evt.type".into(), json!("execve"));
                m.insert("evt.dir".into(), json!("<"));
                m.insert("evt.res".into(), json!("SUCCESS"));
                m.insert("evt.rawres".into(), json!(0));
                m.insert("evt.failed".into(), json!(false));
                m.insert("evt.arg.filename".into(), json!(procs[id].exepath));
                m.insert("evt.num".into(), json!(0));
                m.insert("evt.rawtime".into(), json!(t));
                ev_out.push(m);
                exec_order.push(id.clone());
            }
        }
        if verb == "exec" {
            if !argv.is_empty() {
                return Err(format!("{sctx}: `exec` takes no arguments"));
            }
            continue;
        }
        t += tick(&mut rng);
        let mut m = ctx_fields(who, &procs);
        m.insert("evt.dir".into(), json!("<"));
        m.insert("evt.res".into(), json!("SUCCESS"));
        m.insert("evt.failed".into(), json!(false));
        m.insert("evt.rawres".into(), json!(0));
        let need = |n: usize| -> Result<(), String> {
            if argv.len() == n {
                Ok(())
            } else {
                Err(format!("{sctx}: `{verb}` takes {n} argument(s)"))
            }
        };
        let file_fields = |m: &mut Map<String, Json>, path: &str| {
            m.insert("fd.name".into(), json!(path));
            m.insert("fd.nameraw".into(), json!(path));
            m.insert("fd.directory".into(), json!(dirname(path)));
            m.insert("fd.filename".into(), json!(basename(path)));
            m.insert("fd.type".into(), json!("file"));
            m.insert("fd.typechar".into(), json!("f"));
        };
        match verb {
            "open" | "read" | "write" | "append" | "trunc" | "rdwr" | "create" => {
                need(1)?;
                let path = argv[0];
                let (flags, r, w) = match verb {
                    "open" | "read" => ("O_RDONLY|O_CLOEXEC", true, false),
                    "write" => ("O_WRONLY|O_CREAT|O_TRUNC", false, true),
                    "trunc" => ("O_WRONLY|O_TRUNC", false, true),
                    "append" => ("O_WRONLY|O_CREAT|O_APPEND", false, true),
                    "create" => ("O_WRONLY|O_CREAT|O_EXCL", false, true),
                    _ => ("O_RDWR", true, true),
                };
                let p = procs.get_mut(who).unwrap();
                let fd = p.next_fd;
                p.next_fd += 1;
                m.insert("evt.type".into(), json!("openat"));
                m.insert("evt.arg.dirfd".into(), json!("-100"));
                m.insert("evt.arg.name".into(), json!(path));
                m.insert("evt.arg.flags".into(), json!(flags));
                m.insert("evt.arg.mode".into(), json!(if w { "0644" } else { "0" }));
                m.insert("evt.arg.fd".into(), json!(fd.to_string()));
                m.insert("evt.rawres".into(), json!(fd));
                m.insert("fd.num".into(), json!(fd));
                m.insert("evt.is_open_read".into(), json!(r));
                m.insert("evt.is_open_write".into(), json!(w));
                m.insert("evt.is_open_exec".into(), json!(false));
                file_fields(&mut m, path);
                if w {
                    written.push(path.to_string());
                }
            }
            "unlink" | "rmdir" => {
                need(1)?;
                m.insert(
                    "evt.type".into(),
                    json!(if verb == "unlink" {
                        "unlinkat"
                    } else {
                        "rmdir"
                    }),
                );
                m.insert("evt.arg.dirfd".into(), json!("-100"));
                m.insert("evt.arg.name".into(), json!(argv[0]));
                m.insert("evt.arg.path".into(), json!(argv[0]));
                m.insert(
                    "evt.arg.flags".into(),
                    json!(if verb == "rmdir" { "AT_REMOVEDIR" } else { "" }),
                );
                m.insert("fs.path.name".into(), json!(argv[0]));
                m.insert("fs.path.nameraw".into(), json!(argv[0]));
            }
            "rename" => {
                need(2)?;
                m.insert("evt.type".into(), json!("renameat2"));
                m.insert("evt.arg.olddirfd".into(), json!("-100"));
                m.insert("evt.arg.oldpath".into(), json!(argv[0]));
                m.insert("evt.arg.newdirfd".into(), json!("-100"));
                m.insert("evt.arg.newpath".into(), json!(argv[1]));
                m.insert("fs.path.source".into(), json!(argv[0]));
                m.insert("fs.path.target".into(), json!(argv[1]));
                written.push(argv[1].to_string());
            }
            "mkdir" => {
                need(1)?;
                m.insert("evt.type".into(), json!("mkdirat"));
                m.insert("evt.arg.path".into(), json!(argv[0]));
                m.insert("evt.arg.mode".into(), json!("0755"));
                m.insert("fs.path.name".into(), json!(argv[0]));
            }
            "chmod" => {
                need(2)?;
                let mode = u32::from_str_radix(argv[0], 8)
                    .map_err(|_| format!("{sctx}: mode must be octal"))?;
                m.insert("evt.type".into(), json!("fchmodat"));
                m.insert("evt.arg.dirfd".into(), json!("-100"));
                m.insert("evt.arg.filename".into(), json!(argv[1]));
                m.insert("evt.arg.mode".into(), json!(mode_flags(mode)));
                m.insert("fs.path.name".into(), json!(argv[1]));
            }
            "symlink" | "link" => {
                need(2)?;
                if verb == "symlink" {
                    m.insert("evt.type".into(), json!("symlinkat"));
                    m.insert("evt.arg.target".into(), json!(argv[0]));
                    m.insert("evt.arg.linkpath".into(), json!(argv[1]));
                    m.insert("evt.arg.linkdirfd".into(), json!("-100"));
                } else {
                    m.insert("evt.type".into(), json!("linkat"));
                    m.insert("evt.arg.oldpath".into(), json!(argv[0]));
                    m.insert("evt.arg.newpath".into(), json!(argv[1]));
                }
                m.insert("fs.path.source".into(), json!(argv[0]));
                m.insert("fs.path.target".into(), json!(argv[1]));
            }
            "connect" | "sendto" | "accept" | "listen" => {
                // connect [udp] IP:PORT [NAME]; accept PEER_IP:PORT LOCAL_PORT; listen PORT
                let mut a = argv.clone();
                let udp = a.first() == Some(&"udp");
                if udp {
                    a.remove(0);
                }
                if a.is_empty() {
                    return Err(format!("{sctx}: `{verb}` needs an address"));
                }
                let p = procs.get_mut(who).unwrap();
                let fd = p.next_fd;
                p.next_fd += 1;
                if let Some(path) = a[0].strip_prefix("unix:") {
                    m.insert("evt.type".into(), json!("connect"));
                    m.insert("fd.type".into(), json!("unix"));
                    m.insert("fd.typechar".into(), json!("u"));
                    m.insert("fd.sockfamily".into(), json!("unix"));
                    m.insert("fd.name".into(), json!(path));
                    m.insert("evt.arg.addr".into(), json!(path));
                    m.insert("fd.num".into(), json!(fd));
                    m.insert("evt.arg.fd".into(), json!(fd.to_string()));
                } else {
                    let local_port =
                        32768 + ((h >> 20) + fd as u64 * 7919 + si as u64 * 104_729) % 28000;
                    let (sip, sport, cip, cport, rip, rport, lip, lport, typ) = match verb {
                        "listen" => {
                            let port: u64 =
                                a[0].parse().map_err(|_| format!("{sctx}: bad port"))?;
                            (
                                "0.0.0.0".to_string(),
                                port,
                                "0.0.0.0".to_string(),
                                0u64,
                                "0.0.0.0".to_string(),
                                0u64,
                                "0.0.0.0".to_string(),
                                port,
                                "listen",
                            )
                        }
                        "accept" => {
                            let (pip, pport) = split_addr(a[0], &sctx)?;
                            let lp: u64 = a
                                .get(1)
                                .ok_or_else(|| format!("{sctx}: accept needs the local port"))?
                                .parse()
                                .map_err(|_| format!("{sctx}: bad port"))?;
                            (
                                place.ip.clone(),
                                lp,
                                pip.clone(),
                                pport,
                                pip,
                                pport,
                                place.ip.clone(),
                                lp,
                                "accept4",
                            )
                        }
                        _ => {
                            let (ip, port) = split_addr(a[0], &sctx)?;
                            (
                                ip.clone(),
                                port,
                                place.ip.clone(),
                                local_port,
                                ip,
                                port,
                                place.ip.clone(),
                                local_port,
                                if verb == "sendto" {
                                    "sendto"
                                } else {
                                    "connect"
                                },
                            )
                        }
                    };
                    let v6 = sip.contains(':');
                    m.insert("evt.type".into(), json!(typ));
                    m.insert("fd.type".into(), json!(if v6 { "ipv6" } else { "ipv4" }));
                    m.insert("fd.typechar".into(), json!(if v6 { "6" } else { "4" }));
                    m.insert("fd.sockfamily".into(), json!("ip"));
                    m.insert("fd.l4proto".into(), json!(if udp { "udp" } else { "tcp" }));
                    m.insert("fd.num".into(), json!(fd));
                    m.insert("evt.arg.fd".into(), json!(fd.to_string()));
                    m.insert("fd.connected".into(), json!(typ != "listen"));
                    if typ == "listen" {
                        m.insert("fd.name".into(), json!(format!("0.0.0.0:{sport}")));
                        m.insert("fd.lport".into(), json!(sport));
                        m.insert("fd.sport".into(), json!(sport));
                        m.insert("evt.arg.backlog".into(), json!("128"));
                    } else {
                        m.insert(
                            "fd.name".into(),
                            json!(format!("{cip}:{cport}->{sip}:{sport}")),
                        );
                        m.insert("fd.sip".into(), json!(sip));
                        m.insert("fd.sport".into(), json!(sport));
                        m.insert("fd.cip".into(), json!(cip));
                        m.insert("fd.cport".into(), json!(cport));
                        m.insert("fd.rip".into(), json!(rip));
                        m.insert("fd.rport".into(), json!(rport));
                        m.insert("fd.lip".into(), json!(lip));
                        m.insert("fd.lport".into(), json!(lport));
                        if typ == "connect" {
                            m.insert("evt.arg.addr".into(), json!(format!("{sip}:{sport}")));
                        }
                        if typ == "sendto" {
                            m.insert("evt.arg.size".into(), json!("48"));
                            m.insert("evt.rawres".into(), json!(48));
                        }
                        if let Some(name) = a.get(if typ == "accept4" { 2 } else { 1 }) {
                            m.insert("fd.sip.name".into(), json!(name));
                        }
                    }
                    if typ == "accept4" {
                        m.insert("evt.rawres".into(), json!(fd));
                    }
                }
                last_sock.insert(who.to_string(), m.clone());
            }
            "dup" => {
                // dup NEWFD: dup2 of the process's last socket (or of the parent's) onto NEWFD.
                need(1)?;
                let newfd: i64 = argv[0].parse().map_err(|_| format!("{sctx}: bad fd"))?;
                let mut src = last_sock.get(who).cloned();
                let mut cur = procs[who].parent.clone();
                while src.is_none() {
                    match cur {
                        Some(pp) => {
                            src = last_sock.get(&pp).cloned();
                            cur = procs[&pp].parent.clone();
                        }
                        None => break,
                    }
                }
                let src = src.ok_or_else(|| format!("{sctx}: no socket to duplicate"))?;
                for (k, v) in src.iter().filter(|(k, _)| k.starts_with("fd.")) {
                    m.insert(k.clone(), v.clone());
                }
                m.insert("evt.type".into(), json!("dup2"));
                m.insert(
                    "evt.arg.oldfd".into(),
                    src.get("fd.num").cloned().unwrap_or(json!(3)),
                );
                m.insert("evt.arg.newfd".into(), json!(newfd.to_string()));
                m.insert("evt.rawres".into(), json!(newfd));
            }
            "ptrace" => {
                // ptrace REQUEST TARGET-PROCESS
                need(2)?;
                let target = procs
                    .get(argv[1])
                    .ok_or_else(|| format!("{sctx}: unknown process `{}`", argv[1]))?;
                m.insert("evt.type".into(), json!("ptrace"));
                m.insert("evt.arg.request".into(), json!(argv[0]));
                m.insert("evt.arg.pid".into(), json!(target.pid.to_string()));
            }
            "setuid" => {
                need(1)?;
                m.insert("evt.type".into(), json!("setuid"));
                m.insert("evt.arg.uid".into(), json!(argv[0]));
            }
            "memfd" => {
                need(1)?;
                let p = procs.get_mut(who).unwrap();
                let fd = p.next_fd;
                p.next_fd += 1;
                m.insert("evt.type".into(), json!("memfd_create"));
                m.insert("evt.arg.name".into(), json!(argv[0]));
                m.insert("evt.arg.flags".into(), json!("MFD_CLOEXEC"));
                m.insert("evt.rawres".into(), json!(fd));
                m.insert("fd.num".into(), json!(fd));
                m.insert("fd.name".into(), json!(format!("memfd:{}", argv[0])));
            }
            "module" => {
                need(1)?;
                m.insert("evt.type".into(), json!("finit_module"));
                m.insert("evt.arg.uargs".into(), json!(""));
                m.insert("fd.name".into(), json!(argv[0]));
                m.insert("fd.typechar".into(), json!("f"));
            }
            "unshare" | "setns" => {
                need(1)?;
                m.insert("evt.type".into(), json!(verb));
                if verb == "unshare" {
                    m.insert("evt.arg.flags".into(), json!(argv[0]));
                } else {
                    m.insert("evt.arg.nstype".into(), json!(argv[0]));
                    m.insert("evt.arg.fd".into(), json!("3"));
                }
            }
            "mount" => {
                need(3)?;
                m.insert("evt.type".into(), json!("mount"));
                m.insert("evt.arg.dev".into(), json!(argv[0]));
                m.insert("evt.arg.dir".into(), json!(argv[1]));
                m.insert("evt.arg.type".into(), json!(argv[2]));
            }
            "socket" => {
                need(1)?;
                let (domain, ty) = match argv[0] {
                    "packet" => ("AF_PACKET", "3"),
                    "raw" => ("AF_INET", "3"),
                    "udp" => ("AF_INET", "2"),
                    _ => ("AF_INET", "1"),
                };
                let p = procs.get_mut(who).unwrap();
                let fd = p.next_fd;
                p.next_fd += 1;
                m.insert("evt.type".into(), json!("socket"));
                m.insert("evt.arg.domain".into(), json!(domain));
                m.insert("evt.arg.type".into(), json!(ty));
                m.insert("evt.arg.proto".into(), json!("0"));
                m.insert("evt.rawres".into(), json!(fd));
                m.insert("fd.num".into(), json!(fd));
            }
            "bpf" => {
                need(1)?;
                m.insert("evt.type".into(), json!("bpf"));
                m.insert("evt.arg.cmd".into(), json!(argv[0]));
                m.insert("evt.arg.res_or_fd".into(), json!("3"));
            }
            "fail" => {
                // fail open PATH ERRNO: a failed open.
                need(2)?;
                m.insert("evt.type".into(), json!("openat"));
                m.insert("evt.arg.name".into(), json!(argv[0]));
                m.insert("evt.arg.flags".into(), json!("O_RDONLY"));
                m.insert("evt.res".into(), json!(argv[1]));
                m.insert("evt.failed".into(), json!(true));
                m.insert("evt.rawres".into(), json!(-13));
                m.insert("fd.num".into(), json!(-1));
                m.insert("evt.is_open_read".into(), json!(true));
                m.insert("evt.is_open_write".into(), json!(false));
                file_fields(&mut m, argv[0]);
            }
            "exit" => {
                need(0)?;
                m.insert("evt.type".into(), json!("procexit"));
                m.insert("evt.arg.status".into(), json!("0"));
                exec_order.retain(|x| x != who);
            }
            other => return Err(format!("{sctx}: unknown action `{other}`")),
        }
        m.insert("evt.num".into(), json!(0));
        m.insert("evt.rawtime".into(), json!(t));
        ev_out.push(m);
    }
    // The processes started during the scenario exit, youngest first.
    for id in exec_order.iter().rev() {
        t += tick(&mut rng);
        let mut m = ctx_fields(id, &procs);
        m.insert("evt.type".into(), json!("procexit"));
        m.insert("evt.dir".into(), json!("<"));
        m.insert("evt.arg.status".into(), json!("0"));
        m.insert("evt.num".into(), json!(0));
        m.insert("evt.rawtime".into(), json!(t));
        ev_out.push(m);
    }
    for e in ev_out.iter_mut() {
        e.insert("evt.num".into(), json!(evt_num));
        evt_num += 1;
    }
    if t >= t_base + SLOT_NS {
        return Err(format!("{ctx}: the scenario lasts longer than an hour"));
    }
    Ok(ev_out)
}

/// Capabilities of root on the host or in a privileged container.
const CAPS_ALL: &str = "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE";
/// The default capabilities of root in a container (containerd's default set).
const CAPS_CONTAINER: &str = "CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SYS_CHROOT CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP";

fn split_addr(a: &str, ctx: &str) -> Result<(String, u64), String> {
    let (ip, port) = a
        .rsplit_once(':')
        .ok_or_else(|| format!("{ctx}: `{a}` is not IP:PORT"))?;
    let port: u64 = port
        .parse()
        .map_err(|_| format!("{ctx}: bad port in `{a}`"))?;
    Ok((ip.trim_matches(|c| c == '[' || c == ']').to_string(), port))
}

/// A mode in the flag notation of Falco's `evt.arg.mode` for chmod (`S_IRUSR|...|S_ISUID`).
pub fn mode_flags(mode: u32) -> String {
    const FLAGS: &[(u32, &str)] = &[
        (0o001, "S_IXOTH"),
        (0o002, "S_IWOTH"),
        (0o004, "S_IROTH"),
        (0o010, "S_IXGRP"),
        (0o020, "S_IWGRP"),
        (0o040, "S_IRGRP"),
        (0o100, "S_IXUSR"),
        (0o200, "S_IWUSR"),
        (0o400, "S_IRUSR"),
        (0o1000, "S_ISVTX"),
        (0o2000, "S_ISGID"),
        (0o4000, "S_ISUID"),
    ];
    let v: Vec<&str> = FLAGS
        .iter()
        .filter(|(b, _)| mode & b != 0)
        .map(|(_, n)| *n)
        .collect();
    v.join("|")
}

/// Applies one variant or near-attack's edits to its base scenario's YAML.
fn edit(base: &Yaml, e: &Yaml, ctx: &str) -> Result<Yaml, String> {
    if let Yaml::Hash(h) = e {
        for k in h.keys() {
            let k = s(k).unwrap_or_default();
            const KNOWN: &[&str] = &[
                "note",
                "subst",
                "procs",
                "steps",
                "prepend",
                "append",
                "insert_before",
                "expect",
                "container",
                "k8s",
                "ip",
                "drop",
            ];
            if !KNOWN.contains(&k.as_str()) {
                return Err(format!("{ctx}: unknown key `{k}`"));
            }
        }
    } else {
        return Err(format!("{ctx}: expected a mapping"));
    }
    let mut y = base.clone();
    if let Yaml::Hash(pairs) = get(e, "subst") {
        let mut v: Vec<(String, String)> = pairs
            .iter()
            .filter_map(|(a, b)| Some((s(a)?, s(b)?)))
            .collect();
        v.sort_by_key(|(a, _)| std::cmp::Reverse(a.len()));
        y = subst(&y, &v);
    }
    let mut out = match y {
        Yaml::Hash(h) => h,
        _ => unreachable!(),
    };
    let key = |k: &str| Yaml::String(k.to_string());
    if !matches!(get(e, "procs"), Yaml::BadValue) {
        let merged = overlay(&out[&key("procs")], get(e, "procs"));
        out.insert(key("procs"), merged);
    }
    for k in ["container", "k8s", "ip", "expect"] {
        if !matches!(get(e, k), Yaml::BadValue) {
            out.insert(key(k), get(e, k).clone());
        }
    }
    let mut steps = str_list(&out[&key("steps")], ctx)?;
    if !matches!(get(e, "steps"), Yaml::BadValue) {
        steps = str_list(get(e, "steps"), ctx)?;
    }
    for d in str_list(get(e, "drop"), ctx)? {
        let before = steps.len();
        steps.retain(|x| !x.contains(&d));
        if steps.len() == before {
            return Err(format!("{ctx}: `drop: {d}` matches no step"));
        }
    }
    if let Yaml::Hash(ins) = get(e, "insert_before") {
        for (anchor, add) in ins {
            let anchor = s(anchor).unwrap_or_default();
            let pos = steps
                .iter()
                .position(|x| x.contains(&anchor))
                .ok_or_else(|| format!("{ctx}: `insert_before: {anchor}` matches no step"))?;
            let add = str_list(add, ctx)?;
            steps.splice(pos..pos, add);
        }
    }
    let mut pre = str_list(get(e, "prepend"), ctx)?;
    pre.extend(steps);
    pre.extend(str_list(get(e, "append"), ctx)?);
    out.insert(
        key("steps"),
        Yaml::Array(pre.into_iter().map(Yaml::String).collect()),
    );
    Ok(Yaml::Hash(out))
}

fn check_name(n: &str, what: &str, ctx: &str) -> Result<(), String> {
    let ok = !n.is_empty()
        && n.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{ctx}: {what} `{n}` is not lowercase words joined by `-`"
        ))
    }
}

/// Expands one family file.
pub fn expand_family(text: &str, file: &str, alloc: &mut Alloc) -> Result<Vec<Scenario>, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let doc = docs.first().ok_or_else(|| format!("{file}: empty"))?;
    let family = req_str(doc, "family", file)?;
    check_name(&family, "family", file)?;
    let label = match req_str(doc, "label", file)?.as_str() {
        "benign" => Label::Benign,
        "malicious" => Label::Malicious,
        other => {
            return Err(format!(
                "{file}: label `{other}` is neither benign nor malicious"
            ))
        }
    };
    let list = match get(doc, "scenarios") {
        Yaml::Array(a) => a,
        _ => return Err(format!("{file}: `scenarios` must be a list")),
    };
    let mut out = Vec::new();
    for sc in list {
        let name = req_str(sc, "name", file)?;
        let ctx = format!("{file}: scenario `{name}`");
        check_name(&name, "scenario", &ctx)?;
        if let Yaml::Hash(h) = sc {
            for k in h.keys() {
                let k = s(k).unwrap_or_default();
                const KNOWN: &[&str] = &[
                    "name",
                    "note",
                    "expect",
                    "container",
                    "k8s",
                    "ip",
                    "procs",
                    "steps",
                    "variants",
                    "near",
                ];
                if !KNOWN.contains(&k.as_str()) {
                    return Err(format!("{ctx}: unknown key `{k}`"));
                }
            }
        }
        let base = format!("{family}__{name}");
        let expect = str_list(get(sc, "expect"), &ctx)?;
        if expect.is_empty() {
            return Err(format!("{ctx}: `expect` names no rule"));
        }
        let note = s(get(sc, "note")).unwrap_or_default();
        let events = expand_one(sc, &base, &ctx, alloc)?;
        out.push(Scenario {
            family: family.clone(),
            base: base.clone(),
            name: base.clone(),
            label,
            kind: Kind::Base,
            expect: expect.clone(),
            note,
            events,
        });
        for (what, k_label) in [("variants", Label::Benign), ("near", Label::Malicious)] {
            let items = match get(sc, what) {
                Yaml::Array(a) => a.clone(),
                Yaml::BadValue | Yaml::Null => vec![],
                _ => return Err(format!("{ctx}: `{what}` must be a list")),
            };
            if !items.is_empty() && label == Label::Malicious {
                return Err(format!(
                    "{ctx}: only benign scenarios have variants and near-attacks"
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let k = i + 1;
                let (suffix, kind) = if what == "variants" {
                    (format!("@variant-{k}"), Kind::Variant(k))
                } else {
                    (format!("@near-{k}"), Kind::Near(k))
                };
                let vctx = format!("{ctx}{suffix}");
                let y = edit(sc, item, &vctx)?;
                let full = format!("{base}{suffix}");
                let events = expand_one(&y, &full, &vctx, alloc)?;
                let v_expect = str_list(get(&y, "expect"), &vctx)?;
                let note = s(get(item, "note")).unwrap_or_default();
                if what == "near" && note.is_empty() {
                    return Err(format!(
                        "{vctx}: a near-attack needs a `note` saying what makes it one"
                    ));
                }
                out.push(Scenario {
                    family: family.clone(),
                    base: base.clone(),
                    name: full,
                    label: k_label,
                    kind,
                    expect: v_expect,
                    note,
                    events,
                });
            }
        }
    }
    Ok(out)
}
