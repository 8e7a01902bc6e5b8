//! Host names for `fd.sip.name`, `fd.cip.name`, `fd.lip.name` and
//! `fd.rip.name`, resolved as Falco resolves them.
//!
//! libsinsp does not look addresses up in reverse: its DNS manager resolves
//! (with `getaddrinfo`, IPv4 and IPv6) the host names that filter conditions
//! compare these fields with, keeps each name's addresses, re-resolves a name
//! every 10 s, doubling the interval up to 320 s while the answer does not
//! change (back to 10 s when it does), and gives a field the name whose
//! addresses hold the event's address. An address no resolved name owns
//! leaves the field without a value.
//!
//! Here the names come from the loaded rules' conditions
//! ([`condition_names`]); [`HostNames::start`] resolves them once before the
//! capture starts and a background thread refreshes them on the same
//! schedule. The resolver is a function, so tests inject one (the system's,
//! [`system_resolve`], reads `/etc/hosts` and DNS through the C library).
//!
//! One difference: libsinsp evaluates `fd.sip.name != X` on an address no
//! name owns as true (it resolves `X` and finds the address is not among its
//! addresses); here the field is missing on such an event and, as for every
//! missing field, the check is false.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use quell_rules::compile::CompiledRule;
use quell_rules::syntax::{BaseOp, Expr, Operand, Rhs};

/// The fields whose values are host names of the rules' conditions.
pub const NAME_FIELDS: [&str; 4] = ["fd.sip.name", "fd.cip.name", "fd.lip.name", "fd.rip.name"];

/// First re-resolution interval (libsinsp's `m_base_refresh_timeout`).
pub const BASE_REFRESH: Duration = Duration::from_secs(10);
/// Longest re-resolution interval (libsinsp's `m_max_refresh_timeout`).
pub const MAX_REFRESH: Duration = Duration::from_secs(320);

/// A function from a host name to its addresses (empty when it does not resolve).
pub type Resolver = dyn Fn(&str) -> Vec<IpAddr> + Send + Sync;

/// The system resolver (`getaddrinfo` through std: `/etc/hosts`, then DNS
/// as `nsswitch.conf` says), IPv4 and IPv6 addresses.
pub fn system_resolve(name: &str) -> Vec<IpAddr> {
    match (name, 0u16).to_socket_addrs() {
        Ok(addrs) => addrs.map(|a| a.ip()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The host names the enabled rules compare a `fd.*ip.name` field with
/// (`=`, `==`, `!=` and `in`, the operators libsinsp accepts for them).
pub fn condition_names(rules: &[CompiledRule]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in rules.iter().filter(|r| r.enabled) {
        collect(&r.expr, &mut out);
    }
    out
}

fn collect(e: &Expr, out: &mut BTreeSet<String>) {
    match e {
        Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| collect(x, out)),
        Expr::Not(x) => collect(x, out),
        Expr::Ident { .. } => {}
        Expr::Check(c) => {
            let Operand::Field { name, .. } = &c.lhs else {
                return;
            };
            if !NAME_FIELDS.contains(&name.as_str()) {
                return;
            }
            if !matches!(
                c.op.base,
                BaseOp::Eq | BaseOp::EqEq | BaseOp::Ne | BaseOp::In
            ) {
                return;
            }
            let mut add = |v: &str| {
                let v = v.trim();
                if !v.is_empty() {
                    out.insert(v.to_string());
                }
            };
            match &c.rhs {
                Rhs::Value(v) => add(v),
                Rhs::List(vs) => vs.iter().for_each(|v| add(v)),
                Rhs::None | Rhs::Operand(_) => {}
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Entry {
    addrs: BTreeSet<IpAddr>,
    resolved_at: Instant,
    interval: Duration,
}

/// Resolved names and their addresses, with each name's refresh schedule.
#[derive(Clone, Debug, Default)]
pub struct Names {
    entries: BTreeMap<String, Entry>,
}

impl Names {
    /// Resolves every name in `names` with `resolve` (at time `now`).
    pub fn resolve_all<'a>(
        names: impl IntoIterator<Item = &'a str>,
        resolve: &Resolver,
        now: Instant,
    ) -> Names {
        let entries = names
            .into_iter()
            .map(|n| {
                (
                    n.to_string(),
                    Entry {
                        addrs: resolve(n).into_iter().collect(),
                        resolved_at: now,
                        interval: BASE_REFRESH,
                    },
                )
            })
            .collect();
        Names { entries }
    }

    /// Whether no name is known (nothing to look up).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The name whose addresses hold `ip` (the first in name order when
    /// several do), or `None`.
    pub fn name_of(&self, ip: IpAddr) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, e)| e.addrs.contains(&ip))
            .map(|(n, _)| n.as_str())
    }

    /// The addresses `name` resolved to at its last resolution.
    pub fn addrs(&self, name: &str) -> Option<&BTreeSet<IpAddr>> {
        self.entries.get(name).map(|e| &e.addrs)
    }

    /// When the next name falls due for re-resolution.
    pub fn next_due(&self) -> Option<Instant> {
        self.entries
            .values()
            .map(|e| e.resolved_at + e.interval)
            .min()
    }

    /// The names due at `now` (their interval since the last resolution has passed).
    pub fn due(&self, now: Instant) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(_, e)| now >= e.resolved_at + e.interval)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Records a re-resolution of `name` at `now`: a changed answer replaces
    /// the addresses and restarts the interval at [`BASE_REFRESH`]; the same
    /// answer doubles the interval up to [`MAX_REFRESH`]. Returns whether
    /// the addresses changed.
    pub fn update(&mut self, name: &str, addrs: Vec<IpAddr>, now: Instant) -> bool {
        let Some(e) = self.entries.get_mut(name) else {
            return false;
        };
        let addrs: BTreeSet<IpAddr> = addrs.into_iter().collect();
        e.resolved_at = now;
        if addrs != e.addrs {
            e.addrs = addrs;
            e.interval = BASE_REFRESH;
            true
        } else {
            e.interval = (e.interval * 2).min(MAX_REFRESH);
            false
        }
    }
}

/// Names resolved at start-up and kept fresh by a background thread; the
/// thread stops when this is dropped.
pub struct HostNames {
    names: Arc<RwLock<Names>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for HostNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostNames")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl HostNames {
    /// Resolves `names` now with `resolve`, then refreshes them in a
    /// background thread (none when `names` is empty).
    pub fn start(names: &BTreeSet<String>, resolve: Arc<Resolver>) -> HostNames {
        let table = Names::resolve_all(names.iter().map(String::as_str), &*resolve, Instant::now());
        let names = Arc::new(RwLock::new(table));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = if names.read().map(|n| n.is_empty()).unwrap_or(true) {
            None
        } else {
            let (n, s) = (names.clone(), stop.clone());
            std::thread::Builder::new()
                .name("quell-dns".into())
                .spawn(move || refresh_loop(&n, &s, &*resolve))
                .ok()
        };
        HostNames {
            names,
            stop,
            thread,
        }
    }

    /// A table that is never refreshed (tests, and replays of a fixed answer).
    pub fn fixed(names: Names) -> HostNames {
        HostNames {
            names: Arc::new(RwLock::new(names)),
            stop: Arc::new(AtomicBool::new(true)),
            thread: None,
        }
    }

    /// Nothing to resolve: every lookup gives `None`.
    pub fn none() -> HostNames {
        HostNames {
            names: Arc::new(RwLock::new(Names::default())),
            stop: Arc::new(AtomicBool::new(true)),
            thread: None,
        }
    }

    /// The name of the conditions whose addresses hold `ip`.
    pub fn name_of(&self, ip: IpAddr) -> Option<String> {
        let n = self.names.read().ok()?;
        if n.is_empty() {
            return None;
        }
        n.name_of(ip).map(str::to_string)
    }

    /// A copy of the current table (for tests and diagnostics).
    pub fn snapshot(&self) -> Names {
        self.names.read().map(|n| n.clone()).unwrap_or_default()
    }
}

impl Drop for HostNames {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Step of the refresher's sleep, so that dropping [`HostNames`] is prompt.
const TICK: Duration = Duration::from_millis(100);

fn refresh_loop(names: &RwLock<Names>, stop: &AtomicBool, resolve: &Resolver) {
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let due = names.read().map(|n| n.due(now)).unwrap_or_default();
        for name in due {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            // resolve outside the lock: a slow resolver never blocks lookups
            let addrs = resolve(&name);
            if let Ok(mut n) = names.write() {
                n.update(&name, addrs, Instant::now());
            }
        }
        std::thread::sleep(TICK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quell_rules::engine::Engine;
    use std::sync::Mutex;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn names_come_from_the_conditions_of_enabled_rules() {
        let mut e = Engine::new();
        e.load(
            "t.yaml",
            r#"
- list: k8s_hosts
  items: [kubernetes.default.svc, "api.example"]
- macro: k8s_api_server
  condition: (fd.sip.name="kubernetes.default.svc.cluster.local")
- rule: a
  desc: d
  condition: evt.type = connect and k8s_api_server
  output: o
  priority: INFO
- rule: b
  desc: d
  condition: evt.type = connect and (fd.cip.name in (k8s_hosts) or fd.rip.name != other.example)
  output: o
  priority: INFO
- rule: c
  desc: d
  condition: evt.type = connect and fd.lip.name = disabled.example
  output: o
  priority: INFO
  enabled: false
- rule: d
  desc: d
  condition: evt.type = connect and fd.sip.name contains notaname and fd.name = x.example
  output: o
  priority: INFO
"#,
        );
        let got: Vec<String> = condition_names(e.rules()).into_iter().collect();
        assert_eq!(
            got,
            [
                "api.example",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
                "other.example"
            ]
        );
    }

    #[test]
    fn an_address_gets_the_name_that_resolved_to_it() {
        let resolve = |n: &str| match n {
            "api.example" => vec![ip("192.0.2.10"), ip("2001:db8::10")],
            "db.example" => vec![ip("192.0.2.20")],
            _ => vec![],
        };
        let t = Names::resolve_all(
            ["api.example", "db.example", "nx.example"],
            &resolve,
            Instant::now(),
        );
        assert_eq!(t.name_of(ip("192.0.2.10")), Some("api.example"));
        assert_eq!(t.name_of(ip("2001:db8::10")), Some("api.example"));
        assert_eq!(t.name_of(ip("192.0.2.20")), Some("db.example"));
        assert_eq!(t.name_of(ip("192.0.2.30")), None);
        assert!(t.addrs("nx.example").unwrap().is_empty());
    }

    #[test]
    fn refresh_backs_off_while_unchanged_and_restarts_on_change() {
        let t0 = Instant::now();
        let resolve = |_: &str| vec![ip("192.0.2.1")];
        let mut t = Names::resolve_all(["a.example"], &resolve, t0);
        assert!(t.due(t0 + Duration::from_secs(9)).is_empty());
        assert_eq!(t.due(t0 + BASE_REFRESH), ["a.example"]);
        let mut now = t0 + BASE_REFRESH;
        let mut intervals = Vec::new();
        for _ in 0..7 {
            assert!(!t.update("a.example", vec![ip("192.0.2.1")], now));
            let next = t.next_due().unwrap();
            intervals.push((next - now).as_secs());
            now = next;
        }
        assert_eq!(intervals, [20, 40, 80, 160, 320, 320, 320]);
        assert!(t.update("a.example", vec![ip("192.0.2.2")], now));
        assert_eq!((t.next_due().unwrap() - now), BASE_REFRESH);
        assert_eq!(t.name_of(ip("192.0.2.2")), Some("a.example"));
        assert_eq!(t.name_of(ip("192.0.2.1")), None, "the old address is gone");
        assert!(!t.update("unknown.example", vec![], now));
    }

    /// The background thread re-resolves: an answer that changes is seen
    /// by lookups without a restart (with the interval shortened through
    /// the table, so the test needs no 10 s wait).
    #[test]
    fn the_refresher_thread_applies_new_answers() {
        let answer = Arc::new(Mutex::new(vec![ip("192.0.2.1")]));
        let a = answer.clone();
        let resolve: Arc<Resolver> = Arc::new(move |_: &str| a.lock().unwrap().clone());
        let names: BTreeSet<String> = ["svc.example".to_string()].into();
        let h = HostNames::start(&names, resolve);
        assert_eq!(h.name_of(ip("192.0.2.1")).as_deref(), Some("svc.example"));
        *answer.lock().unwrap() = vec![ip("192.0.2.9")];
        // make the entry due now
        if let Ok(mut n) = h.names.write() {
            for e in n.entries.values_mut() {
                e.interval = Duration::ZERO;
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while h.name_of(ip("192.0.2.9")).is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(h.name_of(ip("192.0.2.9")).as_deref(), Some("svc.example"));
        assert_eq!(h.name_of(ip("192.0.2.1")), None);
        drop(h); // joins the thread
    }

    #[test]
    fn no_names_no_thread() {
        let h = HostNames::start(&BTreeSet::new(), Arc::new(|_: &str| vec![ip("192.0.2.1")]));
        assert!(h.thread.is_none());
        assert_eq!(h.name_of(ip("192.0.2.1")), None);
        assert_eq!(HostNames::none().name_of(ip("192.0.2.1")), None);
    }

    /// The system resolver reads /etc/hosts: `localhost` resolves to a loopback address.
    #[test]
    fn system_resolver_knows_localhost() {
        let addrs = system_resolve("localhost");
        assert!(addrs.iter().any(|a| a.is_loopback()), "{addrs:?}");
        assert!(system_resolve("name.invalid").is_empty());
    }
}
