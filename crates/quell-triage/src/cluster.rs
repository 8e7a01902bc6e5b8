//! Grouping alerts: a cluster is a rule plus a signature of stable fields (image
//! repository, executable, parent lineage, target with its variable parts masked).

use std::collections::BTreeMap;

use quell_events::FlatEvent;
use serde::Serialize;

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
    /// Parent lineage: `proc.pname` (`?` when unknown). Deeper ancestors are left out so
    /// that a recording and Falco alerts of the same activity (whose output fields rarely
    /// name grandparents) fall in the same cluster.
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
        let exe = text(ev, "proc.exepath")
            .or_else(|| text(ev, "proc.name"))
            .unwrap_or_else(|| "?".into());
        let lineage = ["proc.pname"]
            .iter()
            .map(|k| {
                text(ev, k)
                    .or_else(|| text(ev, "proc.aname[1]"))
                    .unwrap_or_else(|| "?".into())
            })
            .collect();
        let target = target(ev)
            .map(|(_, t)| mask(&t))
            .or_else(|| text(ev, "proc.cmdline").map(|c| mask(&c)))
            .unwrap_or_default();
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
        format!("{:012x}", h >> 16)
    }
}

/// The first target field an event has, with its value.
pub fn target(ev: &FlatEvent) -> Option<(&'static str, String)> {
    TARGET_FIELDS
        .iter()
        .find_map(|k| text(ev, k).map(|v| (*k, v)))
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
            r#"{"rule":"R","output_fields":{"proc.exepath":"/usr/bin/rm","proc.pname":"sh","fs.path.name":"/var/log/app.2.log"}}"#,
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
