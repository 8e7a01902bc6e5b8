//! Verification of an exception block, always before anything is shown: it loads after
//! the rules with no error and no warning; every benign event no longer alerts for the
//! rule; every keep event still alerts; and its blast radius over history, per cluster.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use quell_rules::diagnostic::{Code, Diagnostic};
use quell_rules::engine::Engine;
use quell_rules::yaml::{self, Kind as YamlKind, Node};
use serde::Serialize;

use crate::catalogue::Catalogue;
use crate::cluster::target;
use crate::history::History;
use crate::input::{rule_alerts, text, Decision, Record};
use crate::mutate::{mutations, Mutation};
use crate::triage::{Lang, Triage, Verdict};

/// A rules file, by name and content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesFile {
    /// Its name (shown in diagnostics).
    pub name: String,
    /// Its text.
    pub text: String,
}

/// Why verification cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The rules themselves do not load.
    #[error("the rules do not load: {0}")]
    RulesInvalid(String),
    /// The rule is not defined by the rules.
    #[error("no rule named \"{name}\" in the loaded rules{hint}")]
    UnknownRule {
        /// The name asked for.
        name: String,
        /// ` (did you mean "..."?)` or empty.
        hint: String,
    },
}

/// Past alerts silenced in one cluster.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlastCluster {
    /// The cluster's id (triage's, over the history); `benign-set` for the benign set's
    /// own events, which need no verdict.
    pub cluster: String,
    /// Triage's verdict on the cluster (the cluster of another rule when that rule matched
    /// the event first; `None`: not triaged at all).
    pub verdict: Option<Verdict>,
    /// Past alerts of it the exception silences.
    pub count: usize,
    /// Of those, alerts that are events of the benign set itself.
    pub in_benign_set: usize,
    /// Of those, alerts people marked real.
    pub marked_real: usize,
    /// Up to three examples (escaped text).
    pub examples: Vec<String>,
}

/// What the exception would have silenced in the past.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BlastRadius {
    /// Past alerts of the rule examined.
    pub history_alerts: usize,
    /// Of those, how many the exception silences.
    pub silenced: usize,
    /// Silenced alerts that are not events of the benign set.
    pub outside_benign_set: usize,
    /// Silenced alerts people had marked real.
    pub marked_real: usize,
    /// Silenced alerts outside the benign set that triage rates `likely_real` or
    /// `uncertain`, or that a person marked real: each one refuses the exception.
    pub blocking: usize,
    /// Per cluster, largest first.
    pub clusters: Vec<BlastCluster>,
}

/// A past alert that refuses an exception: the exception would silence it, it is not in
/// the benign set, and it is not known to be benign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Blocking {
    /// The rule.
    pub rule: String,
    /// Its line in the history.
    pub line: usize,
    /// `likely_real`, `uncertain`, `marked_real` (a person's decision), or `not_triaged`.
    pub verdict: String,
    /// Its cluster (triage's id over the history).
    pub cluster: String,
    /// A one-line description, untrusted text escaped.
    pub description: String,
}

/// One near-attack made from the benign events, and whether the exception silences it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MutationCheck {
    /// What was changed (`service_shell`, `other_target`, `other_script`,
    /// `dropped_binary`, `download_before`, `other_namespace`, `other_image`, `other_user`).
    pub kind: String,
    /// False when no exception over one event can tell it from the benign event (its
    /// difference lies in what ran before); such a mutation is reported, not held against
    /// a candidate.
    pub avoidable: bool,
    /// The mutated event, described (escaped).
    pub description: String,
    /// True when the exception silences it.
    pub silenced: bool,
}

/// The verification figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Verification {
    /// The block loads after the rules with no error and no warning (with `--legacy`, the
    /// deprecation warning for `append: true` is expected and allowed).
    pub loads: bool,
    /// Errors, as `CODE: message`.
    pub errors: Vec<String>,
    /// Warnings, as `CODE: message`.
    pub warnings: Vec<String>,
    /// Benign events that alert for the rule without the exception.
    pub benign_total: usize,
    /// Of those, how many no longer alert.
    pub benign_silenced: usize,
    /// Benign events given that do not alert for the rule at all (nothing to silence).
    pub benign_not_alerting: usize,
    /// Keep events that alert for the rule without the exception.
    pub keep_total: usize,
    /// Of those, how many still alert.
    pub keep_alerting: usize,
    /// Benign events still alerting (up to three, described).
    pub benign_still_alerting: Vec<String>,
    /// Keep events silenced (up to three, described).
    pub keep_silenced: Vec<String>,
    /// Blast radius over history.
    pub blast_radius: BlastRadius,
    /// History alerts that refuse the exception (up to five; `blast_radius.blocking` counts them all).
    pub blocking: Vec<Blocking>,
    /// Near-attacks made from the benign events, each with whether it is silenced.
    pub mutations: Vec<MutationCheck>,
    /// Avoidable near-attacks silenced: a candidate with fewer wins.
    pub mutations_silenced: usize,
    /// Everything holds: loads, all benign silenced (at least one), all keep alerting,
    /// no blocking history alert.
    pub passed: bool,
}

/// A short description of an event, for examples: one line, untrusted text escaped.
pub fn describe(r: &Record) -> String {
    let ev = &r.event;
    let name = text(ev, "proc.name").unwrap_or_else(|| "?".into());
    let mut s = name;
    if let Some((_, t)) = target(ev) {
        s.push(' ');
        s.push_str(&t);
    }
    if let Some(p) = text(ev, "proc.pname") {
        s.push_str(&format!(" (parent {p}"));
        if let Some(g) = text(ev, "proc.aname[2]") {
            s.push_str(&format!(", grandparent {g}"));
        }
        if let Some(img) = text(ev, "container.image.repository") {
            s.push_str(&format!(", image {img}"));
        }
        s.push(')');
    }
    if let Some(c) = text(ev, "proc.cmdline") {
        let c: String = c.chars().take(80).collect();
        s.push_str(&format!(": `{c}`"));
    }
    quell_events::term::escape(&format!("line {}: {s}", r.line)).into_owned()
}

fn diag_text(d: &Diagnostic) -> String {
    let at = d
        .position()
        .map(|p| format!(" ({}:{}:{})", p.name, p.line, p.column))
        .unwrap_or_default();
    format!("{}: {}{at}", d.code.name(), d.message)
}

/// Levenshtein distance, for "did you mean".
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let v = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest rule name, when close enough to be a typo.
pub fn closest_rule<'a>(engine: &'a Engine, name: &str) -> Option<&'a str> {
    engine
        .rules()
        .iter()
        .map(|r| (distance(&r.name, name), r.name.as_str()))
        .filter(|(d, n)| *d <= (n.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Loads rules files into a fresh engine; the first error fails.
pub fn load_rules(rules: &[RulesFile]) -> Result<Engine, SetupError> {
    let mut e = Engine::new();
    for f in rules {
        let r = e.load(&f.name, &f.text);
        if !r.successful {
            let first = r.errors.first().map(diag_text).unwrap_or_default();
            return Err(SetupError::RulesInvalid(format!("{}: {first}", f.name)));
        }
    }
    Ok(e)
}

/// The name a block is loaded under.
pub const BLOCK_NAME: &str = "quell-exception.yaml";
const PROBE_RULE: &str = "quell verification probe";
const PROBE_DEF: &str = "- rule: quell verification probe\n  desc: true for every event, minus the exceptions under test\n  condition: not evt.num = -1\n  output: probe\n  priority: DEBUG\n";

/// Verifies blocks for one rule against fixed benign, keep and history sets, and the
/// near-attacks made from the benign events.
pub struct Verifier<'a> {
    rule: String,
    benign: &'a [Record],
    keep: &'a [Record],
    history: &'a [Record],
    benign_alerting: Vec<usize>,
    keep_alerting: Vec<usize>,
    /// History alerts of the rule (indices).
    history_alerting: Vec<usize>,
    /// The history's hosts: per host (by the records' `hostname`), the indices of its
    /// records in order; `host_of[i]` is record `i`'s host.
    hosts: Vec<Vec<usize>>,
    host_of: Vec<usize>,
    /// Per host, triage of its records (record index → cluster id, verdict), computed the
    /// first time a candidate silences an alert of that host outside the benign set.
    verdicts: Vec<OnceLock<HashMap<usize, (String, Verdict)>>>,
    /// The built-in catalogue triage weighs, read the first time a host is triaged.
    catalogue: OnceLock<Catalogue>,
    /// The benign set's events as canonical JSON lines (equal events, equal lines).
    benign_keys: HashSet<String>,
    /// Per history record, whether it is an event of the benign set: found the first time
    /// a candidate silences it (a history of thousands is otherwise written out as JSON
    /// for every verifier).
    in_benign_set: Vec<OnceLock<bool>>,
    mutations: Vec<Mutation>,
    /// Some alert line (of the benign, keep and history alerts, and the near-attacks) is
    /// matched by the rule's own exceptions already, or they cannot be evaluated alone: alert
    /// lines are then judged by the block's exceptions alone, through a probe rule.
    excepted_before: bool,
    /// The engine with the rules alone.
    pub base: Engine,
}

impl<'a> Verifier<'a> {
    /// Prepares verification: loads the rules, checks the rule exists, finds which
    /// benign, keep and history events alert for it without any exception, triages the
    /// history (each alert takes its cluster's verdict) and makes the near-attacks.
    pub fn new(
        rules: &'a [RulesFile],
        rule: &str,
        benign: &'a [Record],
        keep: &'a [Record],
        history: &'a [Record],
    ) -> Result<Verifier<'a>, SetupError> {
        let base = load_rules(rules)?;
        if base.rule(rule).is_none() {
            let hint = closest_rule(&base, rule)
                .map(|n| format!(" (did you mean \"{n}\"?)"))
                .unwrap_or_default();
            return Err(SetupError::UnknownRule {
                name: rule.to_string(),
                hint,
            });
        }
        let benign_alerting = rule_alerts(&base, rule, benign);
        let keep_alerting = rule_alerts(&base, rule, keep);
        let hist_idx = rule_alerts(&base, rule, history);
        let history_alerting = hist_idx.clone();
        let benign_events: Vec<&Record> = benign_alerting
            .iter()
            .filter_map(|&i| benign.get(i))
            .collect();
        // An event's canonical JSON line identifies it (equal events, equal lines).
        let benign_keys: HashSet<String> = benign_events
            .iter()
            .map(|b| b.event.to_json_line())
            .collect();
        let in_benign_set = history.iter().map(|_| OnceLock::new()).collect();
        let mut muts = mutations(&benign_events);
        let alerting: HashSet<usize> = {
            let recs: Vec<Record> = muts.iter().map(|m| m.record.clone()).collect();
            rule_alerts(&base, rule, &recs).into_iter().collect()
        };
        let mut i = 0;
        muts.retain(|_| {
            i += 1;
            alerting.contains(&(i - 1))
        });
        let mut hosts: Vec<Vec<usize>> = Vec::new();
        let mut host_of = Vec::with_capacity(history.len());
        {
            let mut slot: HashMap<&str, usize> = HashMap::new();
            for (i, r) in history.iter().enumerate() {
                let h = r.hostname.as_deref().unwrap_or_default();
                let n = hosts.len();
                let s = *slot.entry(h).or_insert(n);
                if s == n {
                    hosts.push(Vec::new());
                }
                hosts[s].push(i);
                host_of.push(s);
            }
        }
        let verdicts = hosts.iter().map(|_| OnceLock::new()).collect();
        let excepted_before = base.rule(rule).is_some_and(|r| {
            benign_alerting
                .iter()
                .filter_map(|&i| benign.get(i))
                .chain(keep_alerting.iter().filter_map(|&i| keep.get(i)))
                .chain(history_alerting.iter().filter_map(|&i| history.get(i)))
                .chain(muts.iter().map(|m| &m.record))
                .any(|a| a.rule.is_some() && r.excepts(&a.event) != Some(false))
        });
        Ok(Verifier {
            rule: rule.to_string(),
            benign,
            keep,
            history,
            benign_alerting,
            keep_alerting,
            history_alerting,
            hosts,
            host_of,
            verdicts,
            catalogue: OnceLock::new(),
            benign_keys,
            in_benign_set,
            mutations: muts,
            excepted_before,
            base,
        })
    }

    /// The rule under test.
    pub fn rule(&self) -> &str {
        &self.rule
    }
    /// Benign records that alert for the rule.
    pub fn benign_alerting(&self) -> impl Iterator<Item = &'a Record> + '_ {
        self.benign_alerting
            .iter()
            .filter_map(|&i| self.benign.get(i))
    }
    /// Keep records that alert for the rule.
    pub fn keep_alerting(&self) -> impl Iterator<Item = &'a Record> + '_ {
        self.keep_alerting.iter().filter_map(|&i| self.keep.get(i))
    }
    /// How many benign events were given.
    pub fn benign_given(&self) -> usize {
        self.benign.len()
    }
    /// The near-attacks verification checks (those that raise the rule).
    pub fn mutations(&self) -> &[Mutation] {
        &self.mutations
    }

    /// Whether history record `i` is an event of the benign set.
    fn in_benign_set(&self, i: usize) -> bool {
        match (self.in_benign_set.get(i), self.history.get(i)) {
            (Some(cell), Some(h)) => *cell.get_or_init(|| {
                !self.benign_keys.is_empty() && self.benign_keys.contains(&h.event.to_json_line())
            }),
            _ => false,
        }
    }

    /// The history alert `i`'s cluster and verdict, from triage of the records of its host.
    ///
    /// The history is triaged as it stands, with no prior of its own: an alert is benign
    /// only when triage, or a person, says so. Only the hosts of alerts a candidate
    /// silences are triaged, each once and on its own: every piece of evidence triage
    /// weighs for an alert (its session, the other sessions of its container, the
    /// schedules and programs written, the alerts of its session) is of its own host, so
    /// an alert's verdict is the one triage of the whole history gives it (the test
    /// `per_host_triage_gives_the_whole_historys_verdicts`). A cluster id can differ: one
    /// triage splits a cluster whose alerts' verdicts differ, and the whole history's
    /// cluster can span hosts whose alerts agree.
    fn verdict_of(&self, i: usize) -> Option<&(String, Verdict)> {
        self.host_verdicts(*self.host_of.get(i)?)?.get(&i)
    }

    /// Triage of host `host`'s records (record index → cluster id, verdict), made once.
    fn host_verdicts(&self, host: usize) -> Option<&HashMap<usize, (String, Verdict)>> {
        Some(self.verdicts.get(host)?.get_or_init(|| {
            let idx = &self.hosts[host];
            // One host (a recording, the usual `--history` file): the history itself.
            let own: Vec<Record>;
            let records: &[Record] = if idx.len() == self.history.len() {
                self.history
            } else {
                // Without the alert lines' JSON objects (triage builds only a sample
                // from them, which the verdicts do not use).
                own = idx
                    .iter()
                    .map(|&k| {
                        let r = &self.history[k];
                        Record {
                            event: r.event.clone(),
                            rule: r.rule.clone(),
                            hostname: r.hostname.clone(),
                            decision: r.decision,
                            line: r.line,
                            raw_alert: None,
                        }
                    })
                    .collect();
                &own
            };
            let orig = |m: usize| {
                if idx.len() == self.history.len() {
                    m
                } else {
                    idx[m]
                }
            };
            let cat = self.catalogue.get_or_init(Catalogue::builtin);
            triage_verdicts(&self.base, cat, &self.rule, records)
                .into_iter()
                .map(|(m, v)| (orig(m), v))
                .collect()
        }))
    }

    /// Triages, on every core, the hosts of the silenced history alerts `silenced` outside
    /// the benign set that are not triaged yet (a broad candidate reaches many hosts).
    fn triage_hosts_of(&self, silenced: &[usize]) {
        let mut todo: Vec<usize> = silenced
            .iter()
            .filter(|&&i| !self.in_benign_set(i))
            .filter_map(|&i| self.host_of.get(i).copied())
            .filter(|&h| self.verdicts.get(h).is_some_and(|c| c.get().is_none()))
            .collect();
        todo.sort_unstable();
        todo.dedup();
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .clamp(1, 8)
            .min(todo.len());
        if threads <= 1 {
            return;
        }
        std::thread::scope(|s| {
            for t in 0..threads {
                let todo = &todo;
                s.spawn(move || {
                    for &h in todo.iter().skip(t).step_by(threads) {
                        self.host_verdicts(h);
                    }
                });
            }
        });
    }

    /// Verifies one block (the exact text that will be shown).
    pub fn verify(&self, block: &str, legacy: bool) -> Verification {
        self.verify_as(block, legacy, true)
    }

    /// [`Verifier::verify`] without the history: what it says of loading, the benign set,
    /// the keep set and the near-attacks is the full verification's, but the blast radius
    /// is empty and the block is never `passed`. Synthesis ranks candidates by this first
    /// and checks the history (the long part) only of those that can still pass.
    pub fn verify_without_history(&self, block: &str, legacy: bool) -> Verification {
        self.verify_as(block, legacy, false)
    }

    fn verify_as(&self, block: &str, legacy: bool, history: bool) -> Verification {
        let mut v = Verification {
            benign_total: self.benign_alerting.len(),
            benign_not_alerting: self.benign.len() - self.benign_alerting.len(),
            keep_total: self.keep_alerting.len(),
            ..Verification::default()
        };
        // The rules are loaded once (`self.base`); each block loads into a clone of them.
        let mut engine = self.base.clone();
        let res = engine.load(BLOCK_NAME, block);
        v.errors = res.errors.iter().map(diag_text).collect();
        v.warnings = res
            .warnings
            .iter()
            .filter(|d| !(legacy && d.code == Code::LoadDeprecatedItem))
            .map(diag_text)
            .collect();
        v.loads = res.successful && v.warnings.is_empty();
        let Some(rule) = engine.rule(&self.rule).filter(|_| res.successful) else {
            v.loads = false;
            if res.successful {
                v.errors.push(format!(
                    "the rule \"{}\" is no longer defined after loading the block",
                    self.rule
                ));
            }
            return v;
        };
        // Alert lines carry only output fields: judge them by the exceptions alone. The rule
        // after the block evaluates its exceptions on their own (none of them matched an
        // alert line before the block: `excepted_before`); else a probe rule carries the
        // block's exceptions alone (built the first time it is needed).
        let probe: std::cell::OnceCell<Option<Engine>> = std::cell::OnceCell::new();
        let by_probe = |r: &Record| -> bool {
            probe
                .get_or_init(|| probe_engine(&self.base, &self.rule, block))
                .as_ref()
                .is_none_or(|p| p.rule(PROBE_RULE).is_some_and(|pr| pr.matches(&r.event)))
        };
        let alerts_after = |r: &Record| -> bool {
            match &r.rule {
                None => rule.matches(&r.event),
                Some(_) if self.excepted_before => by_probe(r),
                Some(_) => match rule.excepts(&r.event) {
                    Some(excepted) => !excepted,
                    None => by_probe(r),
                },
            }
        };
        for r in self.benign_alerting() {
            if alerts_after(r) {
                if v.benign_still_alerting.len() < 3 {
                    v.benign_still_alerting.push(describe(r));
                }
            } else {
                v.benign_silenced += 1;
            }
        }
        for r in self.keep_alerting() {
            if alerts_after(r) {
                v.keep_alerting += 1;
            } else if v.keep_silenced.len() < 3 {
                v.keep_silenced.push(describe(r));
            }
        }
        if history {
            v.blast_radius = self.blast_radius(&alerts_after, &mut v.blocking);
        }
        for m in &self.mutations {
            let silenced = !alerts_after(&m.record);
            v.mutations_silenced += usize::from(silenced && m.avoidable);
            let changed: Vec<String> = m
                .changed
                .iter()
                .map(|k| {
                    let val: String = text(&m.record.event, k)
                        .unwrap_or_default()
                        .chars()
                        .take(60)
                        .collect();
                    format!("{k}={val}")
                })
                .collect();
            v.mutations.push(MutationCheck {
                kind: m.kind.to_string(),
                avoidable: m.avoidable,
                description: quell_events::term::escape(&format!(
                    "{} with {}",
                    describe(&m.record),
                    changed.join(", ")
                ))
                .into_owned(),
                silenced,
            });
        }
        v.passed = history
            && v.loads
            && v.benign_total > 0
            && v.benign_silenced == v.benign_total
            && v.keep_alerting == v.keep_total
            && v.blast_radius.blocking == 0;
        v
    }

    /// The history alerts a block silences (`alerts_after` false), with the verdicts of
    /// those outside the benign set; the first few blocking ones go to `blocking`.
    fn blast_radius(
        &self,
        alerts_after: &dyn Fn(&Record) -> bool,
        blocking: &mut Vec<Blocking>,
    ) -> BlastRadius {
        let mut per: BTreeMap<String, BlastCluster> = BTreeMap::new();
        let mut blast = BlastRadius {
            history_alerts: self.history_alerting.len(),
            ..BlastRadius::default()
        };
        let silenced: Vec<usize> = self
            .history_alerting
            .iter()
            .copied()
            .filter(|&i| self.history.get(i).is_some_and(|r| !alerts_after(r)))
            .collect();
        self.triage_hosts_of(&silenced);
        for i in &silenced {
            let Some(r) = self.history.get(*i) else {
                continue;
            };
            blast.silenced += 1;
            let in_set = self.in_benign_set(*i);
            // The benign set's own events need no verdict: they are excepted by definition.
            let (id, verdict): (String, Option<Verdict>) = if in_set {
                ("benign-set".to_string(), None)
            } else {
                match self.verdict_of(*i) {
                    Some((c, v)) => (c.clone(), Some(*v)),
                    None => ("-".to_string(), None),
                }
            };
            let real = r.decision == Some(Decision::Real);
            if !in_set {
                blast.outside_benign_set += 1;
                let why = match (r.decision, verdict) {
                    (Some(Decision::Real), _) => Some("marked_real"),
                    (Some(Decision::Benign), _) => None,
                    (None, Some(Verdict::LikelyFalsePositive)) => None,
                    (None, Some(v)) => Some(v.as_str()),
                    (None, None) => Some("not_triaged"),
                };
                if let Some(why) = why {
                    blast.blocking += 1;
                    if blocking.len() < 5 {
                        blocking.push(Blocking {
                            rule: self.rule.clone(),
                            line: r.line,
                            verdict: why.to_string(),
                            cluster: id.clone(),
                            description: describe(r),
                        });
                    }
                }
            }
            if real {
                blast.marked_real += 1;
            }
            let c = per.entry(id.clone()).or_insert_with(|| BlastCluster {
                cluster: id.clone(),
                verdict,
                count: 0,
                in_benign_set: 0,
                marked_real: 0,
                examples: Vec::new(),
            });
            c.count += 1;
            c.in_benign_set += usize::from(in_set);
            c.marked_real += usize::from(real);
            if c.examples.len() < 3 {
                c.examples.push(describe(r));
            }
        }
        blast.clusters = per.into_values().collect();
        blast.clusters.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.cluster.cmp(&b.cluster))
        });
        blast
    }
}

/// Triage of `records` with no prior: record index → (cluster id, verdict) of each
/// alert. An event another rule matched first (Falco's default matching) is triaged under
/// that rule: it takes that cluster's verdict, unless it is also in `rule`'s cluster.
fn triage_verdicts(
    engine: &Engine,
    catalogue: &Catalogue,
    rule: &str,
    records: &[Record],
) -> HashMap<usize, (String, Verdict)> {
    let prior = History::empty();
    let reports = Triage {
        engine,
        catalogue,
        history: &prior,
        lang: Lang::En,
        hostname: "",
    }
    .run(records);
    let mut verdicts: HashMap<usize, (String, Verdict)> = HashMap::new();
    for rep in &reports {
        for &m in &rep.members {
            if rep.rule == rule || !verdicts.contains_key(&m) {
                verdicts.insert(m, (rep.cluster.clone(), rep.verdict));
            }
        }
    }
    verdicts
}

/// An engine where the probe rule carries the block's exceptions for `rule`. The block is
/// read with the workspace's one YAML loader (`quell_rules::yaml`, node- and
/// depth-limited); the probe items are written back with [`flow_yaml`] (quell-rules has no
/// emitter).
fn probe_engine(base: &Engine, rule: &str, block: &str) -> Option<Engine> {
    let doc = yaml::parse("exception block", block).ok()??;
    let mut probe_items = Vec::new();
    for item in doc.as_seq()? {
        let Some(entries) = item.as_map() else {
            continue;
        };
        if item.get("rule").and_then(Node::as_scalar) != Some(rule) || !item.has("exceptions") {
            continue;
        }
        let fields: Vec<String> = entries
            .iter()
            .filter_map(|(k, v)| {
                let key = k.as_scalar()?;
                match key {
                    "condition" => None,
                    "rule" => Some(format!("{}: {}", flow_string(key), flow_string(PROBE_RULE))),
                    _ => Some(format!("{}: {}", flow_string(key), flow_yaml(v))),
                }
            })
            .collect();
        probe_items.push(format!("- {{{}}}\n", fields.join(", ")));
    }
    if probe_items.is_empty() {
        return None;
    }
    let text = probe_items.concat();
    let mut e = base.clone();
    e.load("quell-probe.yaml", PROBE_DEF);
    e.load("quell-probe-exceptions.yaml", &text);
    Some(e)
}

/// A node as YAML flow text that reads back as the same node: mappings and sequences in
/// flow style, plain scalars that are safe bare words kept plain (so `true` stays a
/// boolean and a number a number), every other scalar as [`crate::emit::yaml_scalar`]
/// writes a string.
fn flow_yaml(n: &Node) -> String {
    match &n.kind {
        YamlKind::Null => "null".into(),
        YamlKind::Scalar(s) => {
            let bare = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
                && !s.starts_with('-');
            if n.plain && bare {
                s.clone()
            } else {
                flow_string(s)
            }
        }
        YamlKind::Seq(items) => format!(
            "[{}]",
            items.iter().map(flow_yaml).collect::<Vec<_>>().join(", ")
        ),
        YamlKind::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", flow_yaml(k), flow_yaml(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A string as a YAML flow scalar (the one scalar writer, [`crate::emit::yaml_scalar`]).
fn flow_string(s: &str) -> String {
    crate::emit::yaml_scalar(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse_records;
    use std::collections::BTreeSet;

    pub(crate) const RULES: &str = r#"
- list: shells
  items: [sh, bash]
- rule: Clear Log Activities
  desc: log cleared
  condition: evt.type in (unlink, unlinkat) and fs.path.name startswith /var/log/
  output: log cleared (path=%fs.path.name process=%proc.name exepath=%proc.exepath parent=%proc.pname)
  priority: WARNING
"#;

    fn rules() -> Vec<RulesFile> {
        vec![RulesFile {
            name: "rules.yaml".into(),
            text: RULES.into(),
        }]
    }

    fn ev(name: &str, parent: &str, path: &str) -> String {
        format!(
            r#"{{"evt.type":"unlinkat","proc.name":"{name}","proc.exepath":"/usr/bin/{name}","proc.pname":"{parent}","fs.path.name":"{path}"}}"#
        )
    }

    #[test]
    fn verifies_a_good_block() {
        let rules = rules();
        let benign = parse_records(&ev("rm", "bash", "/var/log/dpkg.log"), "b").unwrap();
        let keep = parse_records(
            &[
                ev("rm", "sh", "/var/log/dpkg.log"),
                ev("ls", "sh", "/tmp/x"),
            ]
            .join("\n"),
            "k",
        )
        .unwrap();
        let hist = parse_records(
            &[
                ev("rm", "bash", "/var/log/dpkg.log"),
                ev("rm", "bash", "/var/log/dpkg.log"),
                ev("rm", "cron", "/var/log/a"),
            ]
            .join("\n"),
            "h",
        )
        .unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &keep, &hist).unwrap();
        let block = "- rule: Clear Log Activities\n  exceptions:\n    - name: x\n      fields: [proc.pname, fs.path.name]\n      comps: [=, =]\n      values:\n        - [bash, /var/log/dpkg.log]\n  override:\n    exceptions: append\n";
        let v = vf.verify(block, false);
        assert!(v.passed, "{v:#?}");
        assert_eq!(
            (
                v.benign_total,
                v.benign_silenced,
                v.keep_total,
                v.keep_alerting
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(v.blast_radius.history_alerts, 3);
        assert_eq!(v.blast_radius.silenced, 2);
        assert_eq!(v.blast_radius.outside_benign_set, 0);
        assert_eq!(v.blast_radius.blocking, 0, "{v:#?}");
        assert_eq!(v.blast_radius.clusters.len(), 1);
        assert_eq!(v.blast_radius.clusters[0].in_benign_set, 2);
        // A past alert outside the benign set that triage does not rate benign refuses
        // the block: the benign set is what a person marked, not the rest of its cluster.
        let other = ev("rm", "bash", "/var/log/dpkg.log").replace("{", "{\"proc.pid\":7,");
        let hist2 = parse_records(&other, "h2").unwrap();
        let vf2 = Verifier::new(&rules, "Clear Log Activities", &benign, &keep, &hist2).unwrap();
        let v2 = vf2.verify(block, false);
        assert!(!v2.passed);
        assert_eq!(v2.blast_radius.blocking, 1, "{v2:#?}");
        assert_ne!(v2.blocking[0].verdict, "likely_false_positive");
        assert!(
            v2.blocking[0]
                .description
                .starts_with("line 1: rm /var/log/dpkg.log"),
            "{v2:#?}"
        );
        // Marked benign by a person: it may be silenced.
        let hist3 =
            parse_records(&other.replace("{", "{\"quell.decision\":\"benign\","), "h3").unwrap();
        let vf3 = Verifier::new(&rules, "Clear Log Activities", &benign, &keep, &hist3).unwrap();
        assert!(vf3.verify(block, false).passed);
        // Too broad: silences the keep event.
        let broad = block
            .replace("[proc.pname, fs.path.name]", "[proc.name, fs.path.name]")
            .replace("[bash, /var/log/dpkg.log]", "[rm, /var/log/dpkg.log]");
        let v = vf.verify(&broad, false);
        assert!(!v.passed);
        assert_eq!(v.keep_alerting, 0);
        assert_eq!(v.keep_silenced.len(), 1);
        // Legacy form: the deprecation warning is allowed only with legacy.
        let legacy = block.replace("  override:\n    exceptions: append\n", "  append: true\n");
        assert!(vf.verify(&legacy, true).passed);
        let v = vf.verify(&legacy, false);
        assert!(
            !v.loads && v.warnings[0].starts_with("LOAD_DEPRECATED_ITEM"),
            "{v:?}"
        );
        // Invalid: a missing name.
        let v = vf.verify(&block.replace("- name: x\n      fields", "- fields"), false);
        assert!(!v.loads && !v.errors.is_empty(), "{v:?}");
        assert_eq!(v.benign_silenced, 0);
    }

    /// Triage per host gives each alert the verdict triage of the whole history gives it:
    /// the seed story on three hosts, whole on one, without the web shell's download and
    /// run on another, and as its alerts alone (Falco alert lines) on a third.
    #[test]
    fn per_host_triage_gives_the_whole_historys_verdicts() {
        let rules = rules();
        let seed = parse_records(include_str!("../../../examples/seed.jsonl"), "seed").unwrap();
        let on = |host: &str, keep: &dyn Fn(&Record) -> bool| -> Vec<Record> {
            seed.iter()
                .filter(|r| keep(r))
                .cloned()
                .map(|mut r| {
                    r.hostname = Some(host.to_string());
                    r
                })
                .collect::<Vec<_>>()
        };
        let engine = load_rules(&rules).unwrap();
        let rule = "Clear Log Activities";
        let fires = |r: &Record| rule_alerts(&engine, rule, std::slice::from_ref(r)).len() == 1;
        let mut history = on("whole", &|_| true);
        history.extend(on("no-download", &|r| {
            !matches!(
                text(&r.event, "proc.name").as_deref(),
                Some("curl" | ".update" | "chmod")
            )
        }));
        let mut lines = on("lines", &fires);
        for r in &mut lines {
            r.rule = Some(rule.to_string());
        }
        history.extend(lines);
        let vf = Verifier::new(&rules, rule, &[], &[], &history).unwrap();
        let whole = triage_verdicts(&vf.base, &Catalogue::builtin(), rule, &history);
        let mut seen: BTreeMap<(String, &str), usize> = BTreeMap::new();
        for &i in &vf.history_alerting {
            let per_host = vf.verdict_of(i).map(|(_, v)| *v);
            assert_eq!(
                per_host,
                whole.get(&i).map(|(_, v)| *v),
                "alert {i} on {:?}",
                history[i].hostname
            );
            if let Some(v) = per_host {
                *seen
                    .entry((history[i].hostname.clone().unwrap_or_default(), v.as_str()))
                    .or_default() += 1;
            }
        }
        // Not vacuous: alerts on every host, and verdicts that differ.
        let hosts: BTreeSet<&str> = seen.keys().map(|(h, _)| h.as_str()).collect();
        let verdicts: BTreeSet<&str> = seen.keys().map(|(_, v)| *v).collect();
        assert_eq!(hosts.len(), 3, "{seen:?}");
        assert!(verdicts.len() >= 2, "{seen:?}");
        assert!(verdicts.contains("likely_real"), "{seen:?}");
    }

    /// Alert lines judged by the rule's own exceptions after the block give the verification
    /// the probe rule (the block's exceptions alone) gives, for every candidate synthesis
    /// writes for the seed story's alerts; and an alert line the rule's exceptions already
    /// match sends verification to the probe.
    #[test]
    fn the_rules_exceptions_judge_alert_lines_as_the_probe_does() {
        let rules = rules();
        let seed = parse_records(include_str!("../../../examples/seed.jsonl"), "seed").unwrap();
        let engine = load_rules(&rules).unwrap();
        let rule = "Clear Log Activities";
        let lines: Vec<Record> = rule_alerts(&engine, rule, &seed)
            .into_iter()
            .map(|i| {
                let mut r = seed[i].clone();
                r.rule = Some(rule.to_string());
                r
            })
            .collect();
        assert!(lines.len() >= 2);
        let benign: Vec<Record> = lines
            .iter()
            .filter(|r| text(&r.event, "proc.cmdline").as_deref() == Some("rm /var/log/dpkg.log"))
            .cloned()
            .collect();
        let fast = Verifier::new(&rules, rule, &benign, &[], &lines).unwrap();
        assert!(!fast.excepted_before);
        let mut slow = Verifier::new(&rules, rule, &benign, &[], &lines).unwrap();
        slow.excepted_before = true;
        let p = crate::synth::synthesize(
            &fast,
            &crate::synth::Options {
                max_alternatives: 40,
                ..crate::synth::Options::default()
            },
        )
        .unwrap();
        let mut differ = 0;
        for c in std::iter::once(&p.best).chain(&p.alternatives) {
            let (a, b) = (fast.verify(&c.yaml, false), slow.verify(&c.yaml, false));
            assert_eq!(a, b, "{}", c.yaml);
            differ += usize::from(a.benign_silenced != a.blast_radius.silenced);
        }
        assert!(p.alternatives.len() >= 3, "{p:#?}");
        // Not vacuous: some candidate silences more than the benign set.
        assert!(differ > 0 || p.alternatives.iter().any(|c| !c.verification.passed));
        // The rule's own exceptions already match an alert line: the probe judges.
        let excepting = format!(
            "{RULES}  exceptions:\n    - name: pre\n      fields: [proc.name]\n      values: [[rm]]\n"
        );
        let pre = vec![RulesFile {
            name: "rules.yaml".into(),
            text: excepting,
        }];
        let vf = Verifier::new(&pre, rule, &benign, &[], &lines).unwrap();
        assert!(vf.excepted_before);
    }

    #[test]
    fn alert_lines_are_judged_by_the_exceptions() {
        let rules = rules();
        let alert = r#"{"rule":"Clear Log Activities","output_fields":{"proc.name":"rm","proc.pname":"bash","fs.path.name":"/var/log/dpkg.log"}}"#;
        let benign = parse_records(alert, "b").unwrap();
        let vf = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &[]).unwrap();
        let block = "- rule: Clear Log Activities\n  exceptions:\n    - name: x\n      fields: [proc.pname, fs.path.name]\n      comps: [=, =]\n      values:\n        - [bash, /var/log/dpkg.log]\n  override:\n    exceptions: append\n";
        let v = vf.verify(block, false);
        assert!(v.passed, "{v:#?}");
        let v = vf.verify(&block.replace("[bash,", "[zsh,"), false);
        assert_eq!(v.benign_silenced, 0);
        assert!(!v.passed);
    }

    /// The probe block is read through quell-rules' YAML loader and written back as flow
    /// YAML: every scalar (quotes, commas, colons, `#`, unicode, control characters, a
    /// bare `true`) reads back the same; an alias bomb is refused, not expanded.
    #[test]
    fn probe_items_round_trip_through_the_one_loader() {
        fn shape(n: &Node) -> String {
            match &n.kind {
                YamlKind::Null => "~".into(),
                // Plainness matters only where YAML could read a number or a boolean.
                YamlKind::Scalar(s) => {
                    let typed = s == "true" || s == "false" || s.parse::<f64>().is_ok();
                    format!("{}{s:?}", if n.plain && typed { "p" } else { "s" })
                }
                YamlKind::Seq(v) => {
                    format!("[{}]", v.iter().map(shape).collect::<Vec<_>>().join(","))
                }
                YamlKind::Map(v) => format!(
                    "{{{}}}",
                    v.iter()
                        .map(|(k, v)| format!("{}:{}", shape(k), shape(v)))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            }
        }
        let src = "- rule: R\n  enabled: true\n  n: 12\n  exceptions:\n    - name: x\n      fields: [fd.name, proc.cmdline]\n      comps: [=, in]\n      values:\n        - [\"/var/log/a b,c: #d.log\", [\"sh -c 'x'\", \"caf\\u00e9\\ttab\", '-e', 'say \"hi\" \\ back']]\n  override: {exceptions: append}\n";
        let doc = yaml::parse("t", src).unwrap().unwrap();
        let back = yaml::parse("t", &flow_yaml(&doc)).unwrap().unwrap();
        // Plain numbers and booleans stay plain; every string reads back the same.
        assert_eq!(shape(&back), shape(&doc), "{}", flow_yaml(&doc));
        // A value with a quote and a comma silences its event through the probe.
        let rules = rules();
        let path = "/var/log/a b,\"c\": d.log";
        let alert = format!(
            r#"{{"rule":"Clear Log Activities","output_fields":{{"proc.name":"rm","fs.path.name":{}}}}}"#,
            serde_json::Value::String(path.into())
        );
        let benign = parse_records(&alert, "b").unwrap();
        let base = Verifier::new(&rules, "Clear Log Activities", &benign, &[], &[]).unwrap();
        let block = format!(
            "- rule: Clear Log Activities\n  exceptions:\n    - name: x\n      fields: [proc.name, fs.path.name]\n      comps: [=, startswith]\n      values:\n        - [rm, {}]\n  override:\n    exceptions: append\n",
            flow_string("/var/log/a b")
        );
        let v = base.verify(&block, false);
        assert!(v.passed, "{v:#?}");
        // An alias bomb in the block: refused by the loader's node limit, no probe.
        let mut bomb = String::from("- rule: Clear Log Activities\n  exceptions: []\n  x0: &a0 [b, b, b, b, b, b, b, b, b, b]\n");
        for i in 1..9 {
            let p = i - 1;
            bomb.push_str(&format!(
                "  x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(probe_engine(&base.base, "Clear Log Activities", &bomb).is_none());
    }

    #[test]
    fn setup_errors() {
        let rules = rules();
        let e = Verifier::new(&rules, "Clear Log Activity", &[], &[], &[])
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "no rule named \"Clear Log Activity\" in the loaded rules (did you mean \"Clear Log Activities\"?)");
        let bad = vec![RulesFile {
            name: "bad.yaml".into(),
            text: "- rule: x\n".into(),
        }];
        assert!(matches!(
            Verifier::new(&bad, "x", &[], &[], &[]),
            Err(SetupError::RulesInvalid(_))
        ));
    }
}
