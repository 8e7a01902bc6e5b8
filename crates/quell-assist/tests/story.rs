//! The story's exchange: asked in Japanese about the operator's deletion, quell answers in
//! Japanese that it is likely a false positive with the reasons, and gives an exception
//! that loads, silences the operator's deletion and leaves the web shell's deletion
//! alerting (checked by replaying the seed with the exception, through the libraries).

mod common;
use common::*;
use quell_rules::engine::Engine;
use quell_triage::input::rule_alerts;

fn line_of(recs: &[quell_triage::Record], cmdline: &str) -> usize {
    let e = {
        let mut e = Engine::new();
        e.load("r", DEFAULT_RULES);
        e
    };
    let hits: Vec<usize> = rule_alerts(&e, RULE, recs)
        .into_iter()
        .filter(|&i| {
            quell_triage::input::text(&recs[i].event, "proc.cmdline").as_deref() == Some(cmdline)
        })
        .collect();
    assert_eq!(hits.len(), 1, "{cmdline}");
    hits[0]
}

#[test]
fn the_story_in_japanese() {
    let recs = records(SEED);
    let a = ask(
        &recs,
        "このイベントは誤検知の可能性が高いですか？",
        Some(OP),
        None,
    );
    assert_eq!(a.intent, quell_assist::Intent::FalsePositive);
    assert_eq!(a.lang, "ja");
    assert_eq!(
        a.verdict.as_ref().unwrap()["verdict"],
        "likely_false_positive"
    );
    assert!(a.answer.contains("誤検知の可能性が高い"), "{}", a.answer);
    assert!(a.answer.contains("理由"), "{}", a.answer);
    assert!(!a.verdict.as_ref().unwrap()["reasons"]
        .as_array()
        .unwrap()
        .is_empty());

    let w = ask(
        &recs,
        "これがアラートにならないように例外を書いて",
        Some(OP),
        None,
    );
    assert_eq!(w.intent, quell_assist::Intent::WriteException);
    assert_eq!(w.lang, "ja");
    assert!(w.diagnostics.is_empty(), "{:?}", w.diagnostics);
    let ex = w.exception.expect("an exception");
    assert!(ex.verification.passed && ex.verification.loads);
    assert!(ex.yaml.contains("- rule: Clear Log Activities") && ex.yaml.contains("override:"));
    assert!(ex.legacy_yaml.contains("append: true") && ex.legacy_verification.passed);

    // Replay the seed with each form loaded after the rules.
    let op = line_of(&recs, "rm /var/log/dpkg.log");
    let ws = line_of(&recs, "rm -f /var/log/dpkg.log");
    for (form, yaml) in [("override", &ex.yaml), ("legacy", &ex.legacy_yaml)] {
        let mut e = Engine::new();
        let r1 = e.load("default_rules.yaml", DEFAULT_RULES);
        assert!(r1.successful);
        let r2 = e.load("quell_rules.local.yaml", yaml);
        assert!(r2.successful && r2.errors.is_empty(), "{form}: {r2:?}");
        let alerting = rule_alerts(&e, RULE, &recs);
        assert!(
            !alerting.contains(&op),
            "{form}: the operator's deletion still alerts"
        );
        assert!(
            alerting.contains(&ws),
            "{form}: the web shell's deletion no longer alerts"
        );
    }

    // And the web shell's deletion: likely real, no exception.
    let a = ask(
        &recs,
        "このイベントは誤検知の可能性が高いですか？",
        Some(WS),
        None,
    );
    assert_eq!(a.verdict.as_ref().unwrap()["verdict"], "likely_real");
    let w = ask(
        &recs,
        "これがアラートにならないように例外を書いて",
        Some(WS),
        None,
    );
    assert!(w.exception.is_none());
    assert_eq!(w.diagnostics[0].code, quell_assist::ASK_EXCEPTION_REFUSED);
}
