//! quell's event context for an alert a sensor sends: the process and its lineage as quell
//! knows them at the event, and the session's recent process starts (a bounded ring per
//! session, fed by every `execve`/`execveat` the capture delivers).
//!
//! Events are read through a field getter (`&dyn Fn(&str) -> Option<Value>`, what the live
//! event's `get` is), so this module depends on no capture code. Every string is cut at
//! [`MAX_TEXT`] bytes; the rings are bounded ([`SessionLog::new`]), so memory is bounded
//! whatever the host does.

use std::collections::{HashMap, VecDeque};

use quell_rules::field::Value;
use serde_json::{json, Map, Value as Json};

/// The longest text kept from one field (bytes, cut at a character boundary).
pub const MAX_TEXT: usize = 1024;

/// Ancestor levels of the lineage (0 = the process itself).
pub const LINEAGE_LEVELS: usize = 8;

/// The process fields an alert's context carries, when the event has them.
pub const PROCESS_FIELDS: &[&str] = &[
    "proc.pid",
    "proc.ppid",
    "proc.sid",
    "proc.vpgid",
    "proc.tty",
    "proc.name",
    "proc.exepath",
    "proc.cmdline",
    "proc.cwd",
    "proc.pname",
    "proc.pexepath",
    "proc.pcmdline",
    "user.uid",
    "user.name",
    "user.loginuid",
    "user.loginname",
    "container.id",
    "evt.type",
];

/// What a field getter is: the live event's `get` (or a flat event's).
pub type Getter<'a> = &'a dyn Fn(&str) -> Option<Value<'a>>;

fn cut(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_string();
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// A field value as JSON (text cut at [`MAX_TEXT`]).
pub fn to_json(v: &Value<'_>) -> Json {
    match v {
        Value::Str(s) => Json::String(cut(s)),
        Value::Int(i) => json!(i),
        Value::Uint(u) => json!(u),
        Value::Bool(b) => json!(b),
        Value::Ip(ip) => Json::String(ip.to_string()),
        Value::List(l) => Json::Array(l.iter().take(64).map(to_json).collect()),
    }
}

fn int_of(v: &Value<'_>) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Uint(u) => i64::try_from(*u).ok(),
        Value::Str(s) => s.parse().ok(),
        _ => None,
    }
}

/// The process and its ancestors at the event: `{"process": {field: value}, "lineage":
/// [{"level", "pid", "name", "exepath", "cmdline"}, …]}` (level 0 is the process).
pub fn process_context(get: Getter<'_>) -> Json {
    let mut process = Map::new();
    for f in PROCESS_FIELDS {
        if let Some(v) = get(f) {
            process.insert((*f).to_string(), to_json(&v));
        }
    }
    // Level 0 is the process itself and level 1 its parent, read from their own fields
    // when the event has no `proc.apid[0]`-style key (the live capture's ancestor keys
    // start at 1, and it has no `proc.acmdline[N]`); higher levels from `proc.apid[N]`.
    let own = |level: usize, key: &str| -> Option<&'static str> {
        match (level, key) {
            (0, "pid") => Some("proc.pid"),
            (0, "name") => Some("proc.name"),
            (0, "exepath") => Some("proc.exepath"),
            (0, "cmdline") => Some("proc.cmdline"),
            (1, "pid") => Some("proc.ppid"),
            (1, "name") => Some("proc.pname"),
            (1, "exepath") => Some("proc.pexepath"),
            (1, "cmdline") => Some("proc.pcmdline"),
            _ => None,
        }
    };
    let mut lineage = Vec::new();
    for level in 0..LINEAGE_LEVELS {
        let read = |key: &str, field: &str| {
            get(&format!("{field}[{level}]")).or_else(|| own(level, key).and_then(get))
        };
        let Some(pid) = read("pid", "proc.apid") else {
            break;
        };
        let mut entry = Map::new();
        entry.insert("level".into(), json!(level));
        entry.insert("pid".into(), to_json(&pid));
        for (key, field) in [
            ("name", "proc.aname"),
            ("exepath", "proc.aexepath"),
            ("cmdline", "proc.acmdline"),
        ] {
            if let Some(v) = read(key, field) {
                entry.insert(key.into(), to_json(&v));
            }
        }
        lineage.push(Json::Object(entry));
    }
    json!({"process": process, "lineage": lineage})
}

/// One process start in a session.
#[derive(Clone, Debug, PartialEq)]
struct Start {
    time_ns: Option<u64>,
    pid: Option<i64>,
    ppid: Option<i64>,
    exepath: Option<String>,
    cmdline: Option<String>,
    user: Option<String>,
}

impl Start {
    fn to_json(&self) -> Json {
        json!({
            "time_ns": self.time_ns, "pid": self.pid, "ppid": self.ppid,
            "exepath": self.exepath, "cmdline": self.cmdline, "user": self.user,
        })
    }
}

#[derive(Debug)]
struct Ring {
    starts: VecDeque<Start>,
    touched: u64,
}

/// The recent process starts of each session (`proc.sid`), bounded: at most `per_session`
/// starts per session and `max_sessions` sessions (the least recently active one is
/// forgotten first).
#[derive(Debug)]
pub struct SessionLog {
    sessions: HashMap<i64, Ring>,
    per_session: usize,
    max_sessions: usize,
    clock: u64,
}

impl Default for SessionLog {
    fn default() -> Self {
        SessionLog::new(16, 4096)
    }
}

impl SessionLog {
    /// A log keeping `per_session` starts for each of at most `max_sessions` sessions.
    pub fn new(per_session: usize, max_sessions: usize) -> SessionLog {
        SessionLog {
            sessions: HashMap::new(),
            per_session: per_session.max(1),
            max_sessions: max_sessions.max(1),
            clock: 0,
        }
    }

    /// Sees one event: a successful `execve`/`execveat` is recorded in its session.
    /// Cheap for every other event (one comparison of the event type).
    pub fn observe(&mut self, evt_type: Option<&str>, get: Getter<'_>) {
        if !matches!(evt_type, Some("execve" | "execveat")) {
            return;
        }
        if get("evt.res")
            .and_then(|v| v.as_str().map(|s| s != "SUCCESS"))
            .unwrap_or(false)
        {
            return;
        }
        let Some(sid) = get("proc.sid").as_ref().and_then(int_of) else {
            return;
        };
        let text = |f: &str| get(f).map(|v| cut(&v.to_string()));
        let start = Start {
            time_ns: get("evt.rawtime")
                .as_ref()
                .and_then(int_of)
                .and_then(|t| u64::try_from(t).ok()),
            pid: get("proc.pid").as_ref().and_then(int_of),
            ppid: get("proc.ppid").as_ref().and_then(int_of),
            exepath: text("proc.exepath"),
            cmdline: text("proc.cmdline"),
            user: text("user.name"),
        };
        self.clock += 1;
        if !self.sessions.contains_key(&sid) && self.sessions.len() >= self.max_sessions {
            if let Some(oldest) = self
                .sessions
                .iter()
                .min_by_key(|(_, r)| r.touched)
                .map(|(k, _)| *k)
            {
                self.sessions.remove(&oldest);
            }
        }
        let ring = self.sessions.entry(sid).or_insert_with(|| Ring {
            starts: VecDeque::new(),
            touched: 0,
        });
        ring.touched = self.clock;
        if ring.starts.len() == self.per_session {
            ring.starts.pop_front();
        }
        ring.starts.push_back(start);
    }

    /// Sessions remembered.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// The context of an alert on this event: [`process_context`] and
    /// `"session": {"sid", "recent_starts": [...]}` (oldest first).
    pub fn context(&self, get: Getter<'_>) -> Json {
        let mut ctx = process_context(get);
        let sid = get("proc.sid").as_ref().and_then(int_of);
        let recent: Vec<Json> = sid
            .and_then(|s| self.sessions.get(&s))
            .map(|r| r.starts.iter().map(Start::to_json).collect())
            .unwrap_or_default();
        if let Some(obj) = ctx.as_object_mut() {
            obj.insert(
                "session".into(),
                json!({"sid": sid, "recent_starts": recent}),
            );
        }
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    fn event(fields: &[(&str, Value<'static>)]) -> BTreeMap<String, Value<'static>> {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn s(v: &str) -> Value<'static> {
        Value::Str(Cow::Owned(v.to_string()))
    }

    #[test]
    fn lineage_and_bounded_session_rings() {
        let mut log = SessionLog::new(2, 2);
        for (sid, cmd) in [(10, "a"), (10, "b"), (10, "c"), (20, "x"), (30, "y")] {
            let ev = event(&[
                ("proc.sid", Value::Int(sid)),
                ("proc.cmdline", s(cmd)),
                ("proc.pid", Value::Int(sid + 1)),
            ]);
            let get = |k: &str| ev.get(k).map(Value::borrowed);
            log.observe(Some("execve"), &get);
            // Not a process start: ignored.
            log.observe(Some("openat"), &get);
        }
        // Session 10 was the least recently active when 30 arrived.
        assert_eq!(log.sessions(), 2);
        let ev = event(&[
            ("proc.sid", Value::Int(20)),
            ("proc.apid[0]", Value::Int(21)),
            ("proc.aname[0]", s("sh")),
            ("proc.apid[1]", Value::Int(1)),
            ("proc.aname[1]", s("init")),
            ("proc.name", s(&"n".repeat(5000))),
        ]);
        let get = |k: &str| ev.get(k).map(Value::borrowed);
        let ctx = log.context(&get);
        assert_eq!(ctx["lineage"][1]["name"], "init");
        assert_eq!(ctx["lineage"].as_array().unwrap().len(), 2);
        assert_eq!(ctx["session"]["recent_starts"][0]["cmdline"], "x");
        assert_eq!(
            ctx["process"]["proc.name"].as_str().unwrap().len(),
            MAX_TEXT
        );
        // As the live capture gives them: no `[0]` level, no `proc.acmdline[N]`; the
        // process and its parent from their own fields, the grandparent from `[2]`.
        let live = event(&[
            ("proc.pid", Value::Int(120)),
            ("proc.name", s("rm")),
            ("proc.cmdline", s("rm /var/log/dpkg.log")),
            ("proc.ppid", Value::Int(110)),
            ("proc.pname", s("sh")),
            ("proc.pcmdline", s("sh -i")),
            ("proc.apid[1]", Value::Int(110)),
            ("proc.aname[1]", s("sh")),
            ("proc.apid[2]", Value::Int(100)),
            ("proc.aname[2]", s("runc")),
        ]);
        let getl = |k: &str| live.get(k).map(Value::borrowed);
        let l = process_context(&getl)["lineage"].clone();
        assert_eq!(l.as_array().unwrap().len(), 3, "{l:#}");
        assert_eq!(
            (l[0]["pid"].as_i64(), l[0]["name"].as_str()),
            (Some(120), Some("rm"))
        );
        assert_eq!(l[0]["cmdline"], "rm /var/log/dpkg.log");
        assert_eq!(
            (l[1]["name"].as_str(), l[1]["cmdline"].as_str()),
            (Some("sh"), Some("sh -i"))
        );
        assert_eq!(
            (l[2]["pid"].as_i64(), l[2]["name"].as_str()),
            (Some(100), Some("runc"))
        );
        let ev10 = event(&[("proc.sid", Value::Int(10))]);
        let get10 = |k: &str| ev10.get(k).map(Value::borrowed);
        assert_eq!(log.context(&get10)["session"]["recent_starts"], json!([]));
        // A ring keeps the newest `per_session`.
        let mut log = SessionLog::new(2, 8);
        for cmd in ["a", "b", "c"] {
            let ev = event(&[("proc.sid", Value::Int(1)), ("proc.cmdline", s(cmd))]);
            let get = |k: &str| ev.get(k).map(Value::borrowed);
            log.observe(Some("execve"), &get);
        }
        let ev = event(&[("proc.sid", Value::Int(1))]);
        let get = |k: &str| ev.get(k).map(Value::borrowed);
        let r = log.context(&get);
        assert_eq!(r["session"]["recent_starts"][0]["cmdline"], "b");
        assert_eq!(r["session"]["recent_starts"][1]["cmdline"], "c");
    }
}
