//! Session context: what the same process tree (session) or container did shortly
//! before and after an alert.

use std::collections::HashMap;

use crate::evidence::{activity, Activity};
use crate::input::{int, text, Alert, Record};

/// How far before and after an alert the session is looked at, in nanoseconds.
pub const WINDOW_NS: u64 = 10 * 60 * 1_000_000_000;

/// Events grouped by session: the kernel session id within a container (or the host).
#[derive(Debug, Default)]
pub struct Sessions {
    by_key: HashMap<String, Vec<usize>>,
}

/// The session key of a record: container id plus session id. `None` when the record
/// carries no session id (alerts do not), so no context can be drawn.
pub fn key(r: &Record) -> Option<String> {
    let sid = int(&r.event, "proc.sid").filter(|s| *s > 1)?;
    let container = text(&r.event, "container.id").unwrap_or_else(|| "host".into());
    let host = r.hostname.clone().unwrap_or_default();
    Some(format!("{host}/{container}/{sid}"))
}

/// One thing the session did, relative to the alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// What happened.
    pub activity: Activity,
    /// True when it came before the alert.
    pub before: bool,
    /// The record.
    pub index: usize,
}

/// Other alerts in the same session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherAlert {
    /// The rule.
    pub rule: String,
    /// True when it came before the alert.
    pub before: bool,
}

impl Sessions {
    /// Indexes records by session.
    pub fn new(records: &[Record]) -> Sessions {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            if let Some(k) = key(r) {
                by_key.entry(k).or_default().push(i);
            }
        }
        Sessions { by_key }
    }

    fn members<'a>(
        &'a self,
        records: &'a [Record],
        at: usize,
    ) -> impl Iterator<Item = (usize, bool)> + 'a {
        let r = records.get(at);
        let k = r.and_then(key);
        let t0 = r.and_then(|r| r.event.timestamp_ns());
        let list: &[usize] = k
            .as_ref()
            .and_then(|k| self.by_key.get(k))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        list.iter()
            .copied()
            .filter(move |&i| i != at)
            .filter_map(move |i| {
                let ti = records.get(i)?.event.timestamp_ns();
                match (t0, ti) {
                    (Some(a), Some(b)) if a.abs_diff(b) > WINDOW_NS => None,
                    (Some(a), Some(b)) => Some((i, b < a || (b == a && i < at))),
                    _ => Some((i, i < at)),
                }
            })
    }

    /// The weighed activities of the session around record `at`.
    pub fn context(
        &self,
        records: &[Record],
        at: usize,
        is_maintenance: &dyn Fn(&str) -> bool,
    ) -> Vec<Context> {
        self.members(records, at)
            .filter_map(|(i, before)| {
                let a = activity(&records.get(i)?.event, is_maintenance)?;
                Some(Context {
                    activity: a,
                    before,
                    index: i,
                })
            })
            .collect()
    }

    /// Alerts of other rules in the same session around record `at`.
    pub fn other_alerts(
        &self,
        records: &[Record],
        alerts_by_record: &HashMap<usize, Vec<&Alert>>,
        at: usize,
        rule: &str,
    ) -> Vec<OtherAlert> {
        let mut out: Vec<OtherAlert> = Vec::new();
        for (i, before) in self.members(records, at) {
            for a in alerts_by_record.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
                if a.rule != rule && !out.iter().any(|o| o.rule == a.rule) {
                    out.push(OtherAlert {
                        rule: a.rule.clone(),
                        before,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_records;

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
        let ctx = s.context(&recs, 2, &|_| false);
        assert_eq!(ctx.len(), 2, "{ctx:?}");
        assert!(matches!(ctx[0].activity, Activity::Download(..)) && ctx[0].before);
        assert!(matches!(ctx[1].activity, Activity::CredentialRead(_)) && !ctx[1].before);
        // No session id: no context.
        let recs2 =
            parse_records(r#"{"rule":"R","output_fields":{"proc.name":"rm"}}"#, "t").unwrap();
        assert!(Sessions::new(&recs2)
            .context(&recs2, 0, &|_| false)
            .is_empty());
    }
}
