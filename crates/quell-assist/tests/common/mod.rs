//! Shared by the tests: the seed story and quell's default rules.
#![allow(dead_code)]

use quell_assist::{Answer, Assistant, Question};
use quell_triage::verify::RulesFile;
use quell_triage::{Lang, Record};

pub const SEED: &str = include_str!("../../../../examples/seed.jsonl");
pub const DEFAULT_RULES: &str = include_str!("../../../quell/rules/default_rules.yaml");
/// The operator's deletion and the web shell's, as selectors.
pub const OP: &str = r#"proc.cmdline="rm /var/log/dpkg.log""#;
pub const WS: &str = r#"proc.cmdline="rm -f /var/log/dpkg.log""#;
pub const RULE: &str = "Clear Log Activities";

pub fn rules() -> Vec<RulesFile> {
    vec![RulesFile {
        name: "default_rules.yaml".into(),
        text: DEFAULT_RULES.into(),
    }]
}

pub fn records(text: &str) -> Vec<Record> {
    quell_triage::parse_records(text, "seed.jsonl").expect("the seed parses")
}

pub fn ask(records: &[Record], q: &str, about: Option<&str>, lang: Option<Lang>) -> Answer {
    let rules = rules();
    Assistant {
        rules: &rules,
        records,
        hostname: "test-host",
    }
    .ask(&Question {
        text: q,
        about,
        lang,
    })
}
