//! Grouping alerts: a cluster is one behaviour: the same rule, workload, actor (the
//! executable, and for an interpreter its script), lineage shape (the roles of the
//! ancestors: `shell<service` is not `shell<login`), and target class, with incidental
//! values masked (digit runs, hashes, random names, temp directories, client ports).

use std::collections::BTreeMap;

use quell_events::FlatEvent;
use serde::Serialize;

use crate::evidence::{role, shape, Role, DROP_DIRS};
use crate::input::{text, Alert, Record};

/// Fields that name what an alert acted on, most specific first.
pub const TARGET_FIELDS: &[&str] = &[
    "fd.name",
    "fs.path.name",
    "fs.path.source",
    "fs.path.target",
    "evt.arg.name",
    "evt.arg.path",
    "evt.arg.pathname",
];

/// The stable signature of an alert.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Signature {
    /// The rule.
    pub rule: String,
    /// `container.image.repository`, or `host`.
    pub workload: String,
    /// `proc.exepath` (or `proc.name` when the path is unknown).
    pub exe: String,
    /// Lineage: the shape (the roles of the ancestors, see [`crate::evidence::shape`]), one
    /// string such as `shell<login<init`, then `parent=NAME` (masked) when the parent is
    /// known.
    pub lineage: Vec<String>,
    /// The target (a file or connection), masked; or the masked command line for actions
    /// without a target.
    pub target: String,
}

impl Signature {
    /// The signature of an alert of `rule` on `ev`.
    pub fn of(rule: &str, ev: &FlatEvent) -> Signature {
        let workload = text(ev, "container.image.repository")
            .or_else(|| text(ev, "container.id").filter(|c| c == "host"))
            .unwrap_or_else(|| "host".into());
        let workload = mask(&workload);
        let mut exe = mask_path(
            &text(ev, "proc.exepath")
                .or_else(|| text(ev, "proc.name"))
                .unwrap_or_else(|| "?".into()),
        );
        // An interpreter is never the whole actor: its script goes in.
        if let Some(name) = text(ev, "proc.name") {
            if role(&name) == Role::Interpreter || role(&name) == Role::Shell {
                if let Some(script) = script_of(&text(ev, "proc.cmdline").unwrap_or_default()) {
                    exe = format!("{exe} {}", mask_path(&script));
                }
            }
        }
        // The shape, and the parent itself: `ssh` run by `git` is not `ssh` run by a shell.
        let mut lineage = vec![shape(ev)];
        if let Some(p) = text(ev, "proc.pname").or_else(|| text(ev, "proc.aname[1]")) {
            lineage.push(format!("parent={}", mask(&p)));
        }
        let target = match target(ev) {
            Some((_, t)) if t.contains("->") => mask_connection(&t),
            Some((_, t)) => mask_path(&t),
            None => text(ev, "proc.cmdline")
                .map(|c| mask_path(&c))
                .unwrap_or_default(),
        };
        Signature {
            rule: rule.to_string(),
            workload,
            exe,
            lineage,
            target,
        }
    }

    /// A stable id: 12 hex digits of the FNV-1a hash of the signature.
    pub fn id(&self) -> String {
        self.id_for("")
    }

    /// The stable id of one part of a cluster split by verdict (`part` is the verdict).
    pub fn id_for(&self, part: &str) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |s: &str| {
            for b in s.bytes().chain(std::iter::once(0x1f)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        feed(&self.rule);
        feed(&self.workload);
        feed(&self.exe);
        for l in &self.lineage {
            feed(l);
        }
        feed(&self.target);
        if !part.is_empty() {
            feed(part);
        }
        format!("{:012x}", h >> 16)
    }
}

/// The first target field an event has, with its value.
pub fn target(ev: &FlatEvent) -> Option<(&'static str, String)> {
    TARGET_FIELDS
        .iter()
        .find_map(|k| text(ev, k).map(|v| (*k, v)))
}

/// The script or subcommand an interpreter or shell runs: its first argument that is not
/// an option (`python3 /opt/app/job.py` → `/opt/app/job.py`, `sh -c 'cmd ...'` → `cmd`).
pub fn script_of(cmdline: &str) -> Option<String> {
    let mut words = cmdline.split_whitespace().skip(1);
    while let Some(w) = words.next() {
        if w == "-c" {
            return words
                .next()
                .map(|c| c.trim_matches(|ch| ch == '"' || ch == '\'').to_string());
        }
        if w == "-m" {
            return words.next().map(str::to_string);
        }
        if w.starts_with('-') {
            continue;
        }
        return Some(w.to_string());
    }
    None
}

/// Masks a path or command line like [`mask`], and also the name of a directory made
/// directly in a temporary directory (`/tmp/tmpk3j_2x8q/`, `/tmp/go-build123/`): `T`.
pub fn mask_path(s: &str) -> String {
    let mut out = mask(s);
    for d in DROP_DIRS.iter().filter(|d| d.ends_with('/')) {
        let mut from = 0;
        while let Some(pos) = out[from..].find(d) {
            let start = from + pos + d.len();
            let end = out[start..].find('/').map(|e| start + e);
            match end {
                Some(end) if end > start => {
                    let comp = &out[start..end];
                    let random = comp.contains('N')
                        || comp.contains('X')
                        || comp.contains('H')
                        || comp.starts_with("tmp");
                    if random && comp != "T" {
                        out.replace_range(start..end, "T");
                    }
                    from = start + 1;
                }
                _ => break,
            }
            if from >= out.len() {
                break;
            }
        }
    }
    out
}

/// Masks a connection (`client:port->server:port`): the client side and the server's
/// address are dropped, the server's port and address class kept (`->private:5432`).
pub fn mask_connection(s: &str) -> String {
    let remote = s.split_once("->").map_or(s, |(_, r)| r);
    let (host, port) = remote.rsplit_once(':').unwrap_or((remote, "?"));
    let host = host.trim_matches(|c| c == '[' || c == ']');
    let class = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_loopback() => "loopback",
        Ok(std::net::IpAddr::V4(v)) if v.is_private() || v.is_link_local() => "private",
        Ok(std::net::IpAddr::V6(v)) if (v.segments()[0] & 0xfe00) == 0xfc00 => "private",
        Ok(_) => "public",
        Err(_) => "name",
    };
    format!("->{class}:{port}")
}

/// Masks the variable parts of a path or command line: digit runs become `N`, hex ids
/// (8+ hex digits with a digit) `H`, random-looking names (6+ letters and digits mixed) `X`.
pub fn mask(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if !token.is_empty() {
            out.push_str(&mask_token(token));
            token.clear();
        }
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn mask_token(t: &str) -> String {
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let letters = t.len() - digits;
    if digits == t.len() {
        return "N".into();
    }
    if t.len() >= 8 && digits > 0 && t.chars().all(|c| c.is_ascii_hexdigit()) {
        return "H".into();
    }
    if t.len() >= 6 && digits > 0 && letters > 0 {
        return "X".into();
    }
    // Letters then a digit suffix (`tty3`, `worker12`): keep the stem.
    let stem = t.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem.len() < t.len() {
        return format!("{stem}N");
    }
    t.to_string()
}

/// A group of alerts with one signature.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Its stable id.
    pub id: String,
    /// Its signature.
    pub signature: Signature,
    /// Indices of its alerts' records, in input order.
    pub members: Vec<usize>,
}

/// Groups alerts into clusters, in order of first appearance.
pub fn cluster(alerts: &[Alert], records: &[Record]) -> Vec<Cluster> {
    let mut index: BTreeMap<Signature, usize> = BTreeMap::new();
    let mut out: Vec<Cluster> = Vec::new();
    for a in alerts {
        let Some(r) = records.get(a.index) else {
            continue;
        };
        let sig = Signature::of(&a.rule, &r.event);
        match index.get(&sig) {
            Some(&i) => out[i].members.push(a.index),
            None => {
                index.insert(sig.clone(), out.len());
                out.push(Cluster {
                    id: sig.id(),
                    signature: sig,
                    members: vec![a.index],
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_records;

    #[test]
    fn masking() {
        assert_eq!(mask("/var/log/dpkg.log"), "/var/log/dpkg.log");
        assert_eq!(mask("/var/log/app.2.log"), "/var/log/app.N.log");
        assert_eq!(mask("/tmp/tmp.a8Zk3Qp1/x"), "/tmp/tmp.X/x");
        assert_eq!(
            mask("/var/lib/docker/0123abcdef456789/log"),
            "/var/lib/docker/H/log"
        );
        assert_eq!(mask("/dev/pts3"), "/dev/ptsN");
        assert_eq!(mask(""), "");
        assert_eq!(mask("日本語/1"), "日本語/N");
    }

    #[test]
    fn clusters_by_signature() {
        let text = [
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.pname":"bash","fs.path.name":"/var/log/app.1.log"}}"#,
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.pname":"bash","fs.path.name":"/var/log/app.2.log"}}"#,
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.pname":"httpd","fs.path.name":"/var/log/app.2.log"}}"#,
            r#"{"rule":"S","output_fields":{"proc.exepath":"/usr/bin/rm","proc.pname":"bash","fs.path.name":"/var/log/app.2.log"}}"#,
        ]
        .join("\n");
        let recs = parse_records(&text, "t").unwrap();
        let alerts: Vec<Alert> = recs
            .iter()
            .enumerate()
            .map(|(i, r)| Alert {
                rule: r.rule.clone().unwrap(),
                index: i,
            })
            .collect();
        let cl = cluster(&alerts, &recs);
        assert_eq!(cl.len(), 3);
        assert_eq!(cl[0].members, vec![0, 1]);
        assert_eq!(cl[0].signature.target, "/var/log/app.N.log");
        assert_ne!(cl[0].id, cl[1].id);
        assert_ne!(cl[0].id, cl[2].id);
        // Stable across runs: the id depends only on the signature.
        assert_eq!(cl[0].id, Signature::of("R", &recs[1].event).id());
        assert_eq!(cl[0].id.len(), 12);
    }
}
