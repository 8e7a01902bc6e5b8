//! Prevalence: how often a cluster occurred in past alerts, where, over how long, and
//! what people decided about it.

use std::collections::{BTreeSet, HashMap};

use quell_rules::engine::Engine;
use serde::Serialize;

use crate::cluster::Signature;
use crate::input::{alerts, text, Decision, Record};

/// What the history says about one cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Prevalence {
    /// Past alerts in the cluster.
    pub count: usize,
    /// Distinct hosts.
    pub hosts: usize,
    /// Distinct workloads (image repositories; `host` for the host).
    pub workloads: usize,
    /// Time between the first and the last occurrence, in seconds.
    pub span_s: u64,
    /// Alerts people marked benign.
    pub benign: usize,
    /// Alerts people marked real.
    pub real: usize,
}

#[derive(Default)]
struct Acc {
    count: usize,
    hosts: BTreeSet<String>,
    workloads: BTreeSet<String>,
    first: Option<u64>,
    last: Option<u64>,
    benign: usize,
    real: usize,
}

/// Past alerts indexed by cluster id.
#[derive(Default)]
pub struct History {
    by_cluster: HashMap<String, Acc>,
    /// Total past alerts.
    pub total: usize,
    /// Whether any history was given.
    pub given: bool,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("clusters", &self.by_cluster.len())
            .field("total", &self.total)
            .finish()
    }
}

impl History {
    /// No history.
    pub fn empty() -> History {
        History::default()
    }

    /// Builds the index: alert lines count for the rule they name, events for the rule they trigger.
    pub fn build(engine: &Engine, records: &[Record]) -> History {
        let mut h = History {
            given: true,
            ..History::default()
        };
        for a in alerts(engine, records) {
            let Some(r) = records.get(a.index) else {
                continue;
            };
            let sig = Signature::of(&a.rule, &r.event);
            let acc = h.by_cluster.entry(sig.id()).or_default();
            acc.count += 1;
            h.total += 1;
            let host = r
                .hostname
                .clone()
                .or_else(|| text(&r.event, "hostname"))
                .unwrap_or_else(|| "?".into());
            acc.hosts.insert(host);
            acc.workloads.insert(sig.workload.clone());
            if let Some(t) = r.event.timestamp_ns() {
                acc.first = Some(acc.first.map_or(t, |f| f.min(t)));
                acc.last = Some(acc.last.map_or(t, |l| l.max(t)));
            }
            match r.decision {
                Some(Decision::Benign) => acc.benign += 1,
                Some(Decision::Real) => acc.real += 1,
                None => {}
            }
        }
        h
    }

    /// The prevalence of a cluster (all zero when never seen).
    pub fn prevalence(&self, cluster_id: &str) -> Prevalence {
        match self.by_cluster.get(cluster_id) {
            None => Prevalence::default(),
            Some(a) => Prevalence {
                count: a.count,
                hosts: a.hosts.len(),
                workloads: a.workloads.len(),
                span_s: match (a.first, a.last) {
                    (Some(f), Some(l)) => (l - f) / 1_000_000_000,
                    _ => 0,
                },
                benign: a.benign,
                real: a.real,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_records;

    #[test]
    fn prevalence_counts_hosts_span_and_decisions() {
        let mk = |host: &str, t: &str, d: &str| {
            format!(
                r#"{{"hostname":"{host}","rule":"R","time":"{t}","quell.decision":"{d}","output_fields":{{"proc.exepath":"/usr/bin/rm","fs.path.name":"/var/log/dpkg.log"}}}}"#
            )
        };
        let text = [
            mk("a", "2024-01-01T00:00:00.000000000Z", "benign"),
            mk("b", "2024-01-03T00:00:00.000000000Z", "benign"),
            mk("b", "2024-01-02T00:00:00.000000000Z", "real"),
            mk("b", "2024-01-02T00:00:00.000000000Z", "none"),
        ]
        .join("\n");
        let recs = parse_records(&text, "h").unwrap();
        let h = History::build(&Engine::new(), &recs);
        let id = Signature::of("R", &recs[0].event).id();
        let p = h.prevalence(&id);
        assert_eq!(
            p,
            Prevalence {
                count: 4,
                hosts: 2,
                workloads: 1,
                span_s: 2 * 86400,
                benign: 2,
                real: 1
            }
        );
        assert_eq!(h.prevalence("nope"), Prevalence::default());
        assert_eq!(h.total, 4);
    }
}
