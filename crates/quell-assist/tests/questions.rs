//! The question fixture (tests/questions.tsv, >= 60 questions, half Japanese): each is
//! recognised as its expected intent, answered in its language, and the answer holds the
//! facts listed, asked about the seed story (examples/seed.jsonl).

mod common;
use common::*;

#[test]
fn every_fixture_question_gets_its_intent_and_facts() {
    let recs = records(SEED);
    let fixture = include_str!("questions.tsv");
    let mut n = 0;
    let mut ja = 0;
    let mut failures = Vec::new();
    for (i, line) in fixture.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "questions.tsv:{}: four columns", i + 1);
        let (intent, about, q, facts) = (cols[0], cols[1], cols[2].replace("\\n", "\n"), cols[3]);
        let about = match about {
            "op" => Some(OP),
            "ws" => Some(WS),
            _ => None,
        };
        n += 1;
        let is_ja = quell_assist::detect_lang(&q) == quell_triage::Lang::Ja;
        if is_ja {
            ja += 1;
        }
        let a = ask(&recs, &q, about, None);
        if a.intent.as_str() != intent {
            failures.push(format!(
                "line {}: {q:?}: intent {} (expected {intent})",
                i + 1,
                a.intent.as_str()
            ));
            continue;
        }
        if a.lang != if is_ja { "ja" } else { "en" } {
            failures.push(format!("line {}: {q:?}: answered in {}", i + 1, a.lang));
        }
        for f in facts.split('|') {
            if !a.answer.contains(f) {
                failures.push(format!(
                    "line {}: {q:?}: the answer lacks {f:?}:\n{}",
                    i + 1,
                    a.answer
                ));
            }
        }
    }
    assert!(n >= 60, "{n} questions");
    assert!(ja * 2 >= n, "{ja} of {n} in Japanese");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `--lang` overrides the question's language.
#[test]
fn lang_overrides_the_question_language() {
    let recs = records(SEED);
    let a = ask(
        &recs,
        "このイベントは誤検知の可能性が高いですか？",
        Some(OP),
        Some(quell_triage::Lang::En),
    );
    assert_eq!(a.intent, quell_assist::Intent::FalsePositive);
    assert_eq!(a.lang, "en");
    assert!(a.answer.contains("likely false positive"), "{}", a.answer);
}

/// Selectors: an alert number, a cluster id, a condition; a bad one is a diagnostic.
#[test]
fn selectors() {
    let recs = records(SEED);
    let by_cond = ask(&recs, "is this a false positive?", Some(OP), None);
    let cluster = by_cond.verdict.as_ref().unwrap()["cluster"]
        .as_str()
        .unwrap()
        .to_string();
    let by_cluster = ask(&recs, "is this a false positive?", Some(&cluster), None);
    assert_eq!(by_cluster.verdict, by_cond.verdict);
    // The operator's deletion is the seed's second alert (after the terminal shell).
    let by_number = ask(&recs, "is this a false positive?", Some("2"), None);
    assert_eq!(by_number.verdict, by_cond.verdict);
    let bad = ask(
        &recs,
        "is this a false positive?",
        Some("proc.cmdline = = ("),
        None,
    );
    assert_eq!(bad.diagnostics[0].code, quell_assist::ASK_SELECTOR_INVALID);
    let none = ask(
        &recs,
        "is this a false positive?",
        Some(r#"proc.name="nothing-like-this""#),
        None,
    );
    assert_eq!(
        none.diagnostics[0].code,
        quell_assist::ASK_SELECTOR_NO_MATCH
    );
    let far = ask(&recs, "is this a false positive?", Some("99"), None);
    assert_eq!(far.diagnostics[0].code, quell_assist::ASK_SELECTOR_NO_MATCH);
}

/// The JSON form carries the fields the issue names.
#[test]
fn json_shape() {
    let recs = records(SEED);
    let a = ask(
        &recs,
        "これがアラートにならないように例外を書いて",
        Some(OP),
        None,
    );
    let j = serde_json::to_value(&a).unwrap();
    assert_eq!(j["intent"], "write_exception");
    assert!(j["answer"]
        .as_str()
        .unwrap()
        .contains("Clear Log Activities"));
    assert_eq!(j["verdict"]["verdict"], "likely_false_positive");
    assert!(j["exception"]["yaml"]
        .as_str()
        .unwrap()
        .contains("override:"));
    assert_eq!(j["exception"]["verification"]["passed"], true);
    assert!(!j["evidence"].as_array().unwrap().is_empty());
}
