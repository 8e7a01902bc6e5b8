//! The server's rule set on a sensor: compiling a version, and the watcher thread that
//! long-polls for the next one and hands each compiled engine to the capture loop.
//!
//! The capture loop owns its engine; the watcher sends a [`Reload`] over a channel and the
//! loop takes it between two events ([`std::sync::mpsc::Receiver::try_recv`], no lock, no
//! capture restart). A version that does not compile is refused: the loop keeps the engine
//! it has, and the failure is printed and reported in the next heartbeats.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quell_rules::engine::Engine;
use serde::Serialize;

use crate::client::{Active, ActiveRuleSet, Client};

/// A new engine for the capture loop.
pub struct Reload {
    /// The rule set's version on the server.
    pub version: i64,
    /// Its revision (`V.E`, see [`ActiveRuleSet::revision`]).
    pub revision: String,
    /// The compiled rules.
    pub engine: Engine,
}

impl std::fmt::Debug for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reload")
            .field("version", &self.version)
            .field("revision", &self.revision)
            .finish_non_exhaustive()
    }
}

/// Which rules a sensor evaluates, as its heartbeats report it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RulesStatus {
    /// `server` (a version from the server) or `local` (`-r` files, or the bundled rules).
    pub source: String,
    /// The server's version in use (`None` with local rules).
    pub version: Option<i64>,
    /// Its revision (`V.E`).
    pub revision: Option<String>,
    /// The last version that was refused, and why (it did not compile).
    pub refused: Option<RefusedVersion>,
    /// A warning about the version in use (such as an event type the running capture does
    /// not collect).
    pub warning: Option<String>,
}

/// A version that did not compile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefusedVersion {
    /// Its number.
    pub version: i64,
    /// The first errors, one sentence each with file, line and column.
    pub error: String,
}

/// The most errors a refusal message lists.
const MAX_ERRORS: usize = 5;

/// Compiles a rule set's files in order. An error names the file, line and column of the
/// first few errors.
pub fn compile(set: &ActiveRuleSet) -> Result<Engine, String> {
    let mut engine = Engine::new();
    let mut errors = Vec::new();
    for f in &set.files {
        let res = engine.load(&f.name, &f.contents);
        for d in &res.errors {
            let at = d
                .locations
                .last()
                .map(|l| {
                    format!(
                        "{}:{}:{}: ",
                        l.position.name, l.position.line, l.position.column
                    )
                })
                .unwrap_or_else(|| format!("{}: ", f.name));
            errors.push(format!("{at}{}", d.message));
        }
    }
    if set.files.is_empty() {
        errors.push("the rule set has no file".into());
    }
    if errors.is_empty() {
        Ok(engine)
    } else {
        let n = errors.len();
        let mut msg = errors
            .into_iter()
            .take(MAX_ERRORS)
            .collect::<Vec<_>>()
            .join("; ");
        if n > MAX_ERRORS {
            msg.push_str(&format!(" (and {} more)", n - MAX_ERRORS));
        }
        Err(msg)
    }
}

/// A check the capture side makes on a compiled engine before it is used (for instance,
/// that the running capture collects the event types it needs): `Some(warning)` is printed
/// and reported; the engine is used all the same.
pub type EngineCheck = Box<dyn Fn(&Engine) -> Option<String> + Send>;

/// What the watcher thread needs.
pub(crate) struct Watcher {
    pub client: Client,
    pub status: Arc<Mutex<RulesStatus>>,
    pub tx: Sender<Reload>,
    pub stop: Arc<AtomicBool>,
    pub wait: Duration,
    pub check: Option<EngineCheck>,
    /// The revision the loop has (or was last refused), if any.
    pub after: Option<String>,
    /// Printing (stderr in the binary).
    pub say: crate::Say,
}

impl Watcher {
    /// Long-polls until `stop`; each new version is compiled and sent, or refused.
    pub(crate) fn run(mut self) {
        let mut backoff = Duration::from_secs(1);
        let mut said_unreachable = false;
        while !self.stop.load(Ordering::Relaxed) {
            // Without a revision yet, `0` (older than any): the server answers as soon as
            // it has one.
            let answer = self
                .client
                .active_rules(Some(self.after.as_deref().unwrap_or("0")), self.wait);
            match answer {
                Ok(Active::Unchanged) => {
                    backoff = Duration::from_secs(1);
                    said_unreachable = false;
                }
                Ok(Active::Version(set)) => {
                    backoff = Duration::from_secs(1);
                    said_unreachable = false;
                    if self.after.as_deref() == Some(set.revision.as_str()) {
                        // Not newer (a server that ignores `after`): do not spin.
                        sleep_unless(&self.stop, Duration::from_secs(1));
                        continue;
                    }
                    self.take(set);
                }
                Err(e) => {
                    if !said_unreachable {
                        (self.say)(&format!(
                            "quell: cannot fetch the server's rules (keeping the rules in use; retrying): {e}"
                        ));
                        said_unreachable = true;
                    }
                    sleep_unless(&self.stop, backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    fn take(&mut self, set: ActiveRuleSet) {
        self.after = Some(set.revision.clone());
        match compile(&set) {
            Ok(engine) => {
                let warning = self.check.as_ref().and_then(|c| c(&engine));
                if let Some(w) = &warning {
                    (self.say)(&format!("quell: rules version {}: {w}", set.version));
                }
                if self
                    .tx
                    .send(Reload {
                        version: set.version,
                        revision: set.revision.clone(),
                        engine,
                    })
                    .is_err()
                {
                    return;
                }
                (self.say)(&format!(
                    "quell: rules version {} (revision {}) from the server takes effect",
                    set.version, set.revision
                ));
                let mut st = self.status.lock().unwrap_or_else(|e| e.into_inner());
                st.source = "server".into();
                st.version = Some(set.version);
                st.revision = Some(set.revision.clone());
                st.warning = warning;
            }
            Err(error) => {
                (self.say)(&format!(
                    "quell: rules version {} from the server is refused (the rules in use stay): {error}",
                    set.version
                ));
                let mut st = self.status.lock().unwrap_or_else(|e| e.into_inner());
                st.refused = Some(RefusedVersion {
                    version: set.version,
                    error,
                });
            }
        }
    }
}

/// Sleeps `d`, waking early when `stop` is set.
pub(crate) fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let step = Duration::from_millis(50);
    let mut left = d;
    while !left.is_zero() && !stop.load(Ordering::Relaxed) {
        let s = left.min(step);
        std::thread::sleep(s);
        left -= s;
    }
}

/// The receiving end for the capture loop.
pub type Reloads = Receiver<Reload>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::RuleFileText;

    fn set(version: i64, text: &str) -> ActiveRuleSet {
        ActiveRuleSet {
            version,
            revision: format!("{version}.0"),
            files: vec![RuleFileText {
                name: "r.yaml".into(),
                contents: text.into(),
            }],
        }
    }

    #[test]
    fn a_valid_set_compiles_and_an_invalid_one_names_where() {
        let ok = set(
            1,
            "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: WARNING\n",
        );
        let e = compile(&ok).unwrap();
        assert_eq!(e.rules().len(), 1);
        let bad = set(
            2,
            "- rule: r\n  desc: d\n  condition: evt.type = = open\n  output: o\n  priority: WARNING\n",
        );
        let Err(err) = compile(&bad) else {
            panic!("an invalid rule set compiled")
        };
        assert!(err.starts_with("r.yaml:"), "{err}");
        let none = ActiveRuleSet {
            version: 3,
            revision: "3.0".into(),
            files: vec![],
        };
        assert!(compile(&none).is_err());
    }
}
