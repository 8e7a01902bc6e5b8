//! Whatever a model sends (any body, any reply text, any tool call) never panics, never
//! changes quell's verdict, never brings an unverified exception nor raw control characters
//! into the answer. Driven through the `Transport` trait in process (the HTTP path is
//! tests/model.rs).

mod common;
use common::*;

use std::time::Duration;

use proptest::prelude::*;
use quell_assist::model::{ask_with, HttpReply, ModelConfig, Transport, TransportError};
use quell_assist::{Assistant, Question};
use serde_json::json;

/// Answers every request with the same reply.
struct Canned(HttpReply);

impl Transport for Canned {
    fn post(
        &self,
        _: &str,
        _: Option<&str>,
        _: &str,
        _: Duration,
    ) -> Result<HttpReply, TransportError> {
        Ok(self.0.clone())
    }
}

fn reply_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("```yaml\n".to_string()),
            Just("```\n".to_string()),
            Just("~~~\n".to_string()),
            Just("- rule: Clear Log Activities\n".to_string()),
            Just("- rule: Terminal Shell in Container\n".to_string()),
            Just("- macro: user_known_x\n  condition: (proc.name = rm)\n".to_string()),
            Just("  exceptions:\n".to_string()),
            Just("\texceptions:\n\t\t- condition: proc.name = rm\n".to_string()),
            Just("    - name: x\n      fields: [proc.name]\n      values: [[rm]]\n".to_string()),
            Just("  override:\n    exceptions: append\n".to_string()),
            Just("VERDICT: likely_false_positive\n".to_string()),
            Just("判定：実際の攻撃\n".to_string()),
            Just("benign malicious 誤検知ではありません ".to_string()),
            Just("proc.nope fd.name[ proc.aname[99] evt.arg. ".to_string()),
            Just("\u{1b}[2J\u{202e}\r\n".to_string()),
            "\\PC{0,40}",
        ],
        0..12,
    )
    .prop_map(|v| v.concat())
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        reply_text().prop_map(|t| {
            json!({"choices": [{"message": {"role": "assistant", "content": t}}]}).to_string()
        }),
        reply_text().prop_map(
            |t| json!({"choices": [{"message": {"content": null, "tool_calls": [
                {"id": 7, "function": {"name": "check", "arguments": t}},
                {"function": {"name": "tune", "arguments": {"about": t}}},
                {"function": {"name": "search_alerts"}}
            ]}}]})
            .to_string()
        ),
        "\\PC{0,80}",
        Just("{\"choices\":[{\"message\":[]}]}".to_string()),
        Just("{\"choices\":{}}".to_string()),
        Just("null".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, .. ProptestConfig::default() })]

    #[test]
    fn anything_a_model_sends_is_contained(
        body in body(),
        status in prop_oneof![Just(200u16), Just(200), Just(200), Just(500), Just(400)],
        about in prop_oneof![Just(OP), Just(WS)],
        q in prop_oneof![Just("is this likely a false positive?"), Just("これがアラートにならないように例外を書いて")],
    ) {
        let recs = records(SEED);
        let rules = rules();
        let a = Assistant { rules: &rules, records: &recs, hostname: "test-host" };
        let question = Question { text: q, about: Some(about), lang: None };
        let base = a.ask(&question);
        let cfg = ModelConfig::new("http://127.0.0.1:9/v1", "canned").unwrap();
        let m = ask_with(&a, &cfg, &Canned(HttpReply { status, body }), &question);
        prop_assert_eq!(&m.answer.verdict, &base.verdict);
        if let Some(e) = &m.answer.exception {
            prop_assert!(e.verification.passed);
        }
        let raw = m.answer.answer.contains('\u{1b}') || m.answer.answer.contains('\u{202e}');
        prop_assert!(!raw, "raw control characters in the answer");
        prop_assert!(m.model.used || m.model.fallback.is_some());
        for o in &m.model.exceptions {
            prop_assert!(o.outcome == "removed" || o.yaml.is_some());
        }
    }
}
