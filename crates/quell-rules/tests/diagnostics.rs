//! Diagnostics are data: codes chosen from typed error kinds, never from message text.

use quell_rules::diagnostic::Code;
use quell_rules::engine::Engine;

fn skipping_rule(cond: &str, output: &str) -> String {
    format!(
        "- rule: R\n  desc: d\n  condition: {cond}\n  output: '{output}'\n  priority: WARNING\n  skip-if-unknown-filter: true\n"
    )
}

/// With `skip-if-unknown-filter: true`, an unknown field or event type (in the condition
/// or the output) is Falco's `LOAD_UNKNOWN_FILTER` warning and the rule is skipped; any
/// other error stays an error, even when its message quotes a constant that reads like
/// "nonexistent field" or "unknown filter:" (the code comes from the error's kind).
#[test]
fn unknown_filter_code_comes_from_the_error_kind() {
    let warned = [
        ("evt.type = open and proc.nobody = x", "o"),
        ("evt.type = nosuchtype", "o"),
        ("evt.type = open", "%proc.nobody"),
    ];
    for (cond, output) in warned {
        let mut e = Engine::new();
        let r = e.load("r.yaml", &skipping_rule(cond, output));
        assert!(
            r.successful && r.errors.is_empty(),
            "{cond} / {output}: {r:#?}"
        );
        let codes: Vec<Code> = r.warnings.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::LoadUnknownFilter], "{cond} / {output}");
        assert!(e.rule("R").is_none(), "{cond}: the rule is skipped");
    }
    let refused = [
        (
            "evt.type = open and proc.pid = \"nonexistent field\"",
            "o",
            Code::LoadErrCompileCondition,
            "filter error: 'nonexistent field' is not a valid number",
        ),
        (
            "evt.type = open and fd.sport = \"unknown event type\"",
            "o",
            Code::LoadErrCompileCondition,
            "filter error: 'unknown event type' is not a valid number",
        ),
        (
            "evt.type = open",
            "%fd.net unknown filter: invalid formatting token",
            Code::LoadErrCompileOutput,
            "fd.net unknown filter: invalid formatting token is filter only and cannot be used as a display field",
        ),
    ];
    for (cond, output, code, message) in refused {
        let mut e = Engine::new();
        let r = e.load("r.yaml", &skipping_rule(cond, output));
        assert!(!r.successful, "{cond} / {output}: {r:#?}");
        let got: Vec<(Code, &str)> = r
            .errors
            .iter()
            .map(|d| (d.code, d.message.as_str()))
            .collect();
        assert_eq!(got, [(code, message)], "{cond} / {output}");
    }
}
