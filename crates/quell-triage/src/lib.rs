//! # quell-triage: alert triage and verified Falco exceptions
//!
//! Pure: it takes events or Falco alerts, rules (an [`quell_rules::engine::Engine`] or
//! rules text) and returns data. No file, network or process I/O.
//!
//! - [`input`]: recordings (`quell run --record`) and Falco JSON alerts as [`input::Record`]s;
//! - [`cluster`]: alerts grouped by rule and a signature of stable fields;
//! - [`triage`]: a verdict per cluster (likely false positive / uncertain / likely real),
//!   a score, reasons with evidence, what to confirm; English and Japanese;
//! - [`catalogue`], [`evidence`], [`session`], [`history`]: the evidence triage weighs;
//! - [`synth`]: the narrowest Falco exception separating benign events from keep events;
//! - [`verify`]: proof that an exception block loads, silences the benign events, keeps
//!   the keep events alerting, and its blast radius over history;
//! - [`check`]: `quell tune --check`, diagnosing an exception written elsewhere.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalogue;
pub mod check;
pub mod cluster;
pub mod emit;
pub mod evidence;
pub mod history;
pub mod input;
pub mod session;
pub mod synth;
pub mod triage;
pub mod verify;

pub use input::{parse_records, Decision, Record};
pub use triage::{ClusterReport, Lang, Triage, Verdict};
