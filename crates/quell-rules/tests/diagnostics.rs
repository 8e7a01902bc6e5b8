//! Diagnostics are data: codes chosen from typed error kinds, plus the message rule Falco's
//! engine applies (it decides `LOAD_UNKNOWN_FILTER` by its message text).

use quell_rules::diagnostic::Code;
use quell_rules::engine::Engine;

fn skipping_rule(cond: &str, output: &str) -> String {
    format!(
        "- rule: R\n  desc: d\n  condition: {cond}\n  output: '{output}'\n  priority: WARNING\n  skip-if-unknown-filter: true\n"
    )
}

/// With `skip-if-unknown-filter: true`, an unknown field or event type (in the condition
/// or the output) is Falco's `LOAD_UNKNOWN_FILTER` warning and the rule is skipped. Falco
/// (0.63, `err_is_unknown_type_or_field`) takes any compiler message containing "nonexistent
/// field", "invalid formatting token" or "unknown event type" that way, so a bad constant
/// whose text quotes one of them is skipped too; any other error stays an error.
#[test]
fn unknown_filter_code_follows_falco() {
    let warned = [
        ("evt.type = open and proc.nobody = x", "o"),
        ("evt.type = nosuchtype", "o"),
        ("evt.type = open", "%proc.nobody"),
        // Falco's text rule: the message quotes the constant.
        ("evt.type = open and proc.pid = \"nonexistent field\"", "o"),
        ("evt.type = open and fd.sport = \"unknown event type\"", "o"),
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
            "evt.type = open and proc.pid = \"not a number\"",
            "o",
            Code::LoadErrCompileCondition,
            "filter error: 'not a number' is not a valid number",
        ),
        (
            "evt.type = open",
            "%fd.net",
            Code::LoadErrCompileOutput,
            "fd.net is filter only and cannot be used as a display field",
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
