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
//! - [`keep`]: the bundled true-positive catalogue every exception must keep alerting on;
//! - [`kinds`]: field kinds (paths, server endpoints, pod names, command lines) and how
//!   each may be widened;
//! - [`synth`]: candidate Falco exceptions by template and widening level, the best
//!   verified one first;
//! - [`mutate`]: near-attacks made from the benign events;
//! - [`verify`]: proof that an exception block loads, silences the benign events, keeps
//!   the keep events alerting, silences no history alert outside the benign set that
//!   triage does not rate benign (the blast radius), and which near-attacks it silences;
//! - [`check`]: `quell tune --check`, diagnosing an exception written elsewhere.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalogue;
pub mod check;
pub mod cluster;
pub mod emit;
pub mod evidence;
pub mod fit;
pub mod history;
pub mod input;
pub mod keep;
pub mod kinds;
pub mod mutate;
pub mod session;
pub mod signals;
pub mod synth;
pub mod triage;
pub mod verify;

pub use input::{parse_records, Decision, Record};
pub use triage::{ClusterReport, Lang, Triage, Verdict};

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use quell_rules::engine::Engine;

    use crate::catalogue::Catalogue;
    use crate::check::check;
    use crate::history::History;
    use crate::input::parse_records;
    use crate::synth::{synthesize, Options};
    use crate::verify::{RulesFile, Verifier};
    use crate::{Lang, Triage};

    const RULES: &str = "- rule: R\n  desc: d\n  condition: evt.type in (unlinkat, openat) and (fs.path.name startswith /var/log/ or fd.name startswith /var/log/)\n  output: o %proc.name %fs.path.name %fd.name %proc.cmdline\n  priority: WARNING\n";

    fn json_line() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "evt.type",
            "proc.name",
            "proc.exepath",
            "proc.pname",
            "proc.aname[2]",
            "proc.cmdline",
            "fs.path.name",
            "fd.name",
            "proc.tty",
            "proc.sid",
            "evt.rawtime",
            "container.image.repository",
            "quell.decision",
            "rule",
            "output_fields",
        ]);
        let val = prop_oneof![
            "[ -~]{0,24}".prop_map(serde_json::Value::String),
            Just(serde_json::Value::String("unlinkat".into())),
            Just(serde_json::Value::String("/var/log/a \"b\" (c),d".into())),
            any::<i64>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
            Just(serde_json::json!({"proc.name": "rm"})),
        ];
        prop_oneof![
            proptest::collection::btree_map(key, val, 0..8).prop_map(|m| {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                    .to_string()
            }),
            "[ -~]{0,40}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

        /// Arbitrary event lines never panic triage or synthesis.
        #[test]
        fn arbitrary_events_never_panic(lines in proptest::collection::vec(json_line(), 0..6)) {
            let text = lines.join("\n");
            let rules = vec![RulesFile { name: "r.yaml".into(), text: RULES.into() }];
            let mut e = Engine::new();
            e.load("r.yaml", RULES);
            if let Ok(recs) = parse_records(&text, "p") {
                let cat = Catalogue::builtin();
                let h = History::build(&e, &recs);
                let _ = Triage { engine: &e, catalogue: &cat, history: &h, lang: Lang::Ja, hostname: "h" }.run(&recs);
                if let Ok(vf) = Verifier::new(&rules, "R", &recs, &recs[..recs.len() / 2], &recs) {
                    if let Ok(p) = synthesize(&vf, &Options::default()) {
                        prop_assert!(p.best.verification.passed);
                        prop_assert_eq!(vf.verify(&p.best.yaml, false), p.best.verification.clone());
                    }
                }
            }
        }

        /// Arbitrary YAML never panics `--check`.
        #[test]
        fn arbitrary_yaml_never_panics_check(y in "[ -~\n]{0,160}", rule in prop::sample::select(vec!["R", "r", "X"])) {
            let rules = vec![RulesFile { name: "r.yaml".into(), text: RULES.into() }];
            let _ = check(&rules, &y, &[], &[], &[]);
            let framed = format!("- rule: {rule}\n  exceptions:\n{y}\n  override:\n    exceptions: append\n");
            let _ = check(&rules, &framed, &[], &[], &[]);
        }
    }
}
