//! "Why did this rule fire?" on a Falco alert line, which carries only the rule's output
//! fields: a clause over a field the line does not carry is "not evaluated", never "false";
//! one that other present fields decide is still false or true.

mod common;

use common::{ask, records};

const ALERT: &str = r#"{"output":"log cleared","priority":"Warning","rule":"Clear Log Activities","time":"2026-11-28T02:37:22.593871759Z","hostname":"h","source":"syscall","output_fields":{"evt.type":"unlinkat","fs.path.name":"/var/log/dpkg.log","proc.name":"rm","proc.cmdline":"rm /var/log/dpkg.log","proc.pname":"sh"}}"#;

#[test]
fn clauses_over_fields_an_alert_line_lacks_are_not_evaluated() {
    let recs = records(ALERT);
    let a = ask(&recs, "why did this rule fire?", Some("1"), None);
    let text = a.answer;
    // The unlink alternative reads evt.rawres, which the line does not carry.
    assert!(
        text.contains("[not evaluated] (evt.type in (unlink, unlinkat) and evt.rawres = 0"),
        "{text}"
    );
    assert!(
        !text.contains("[false] (evt.type in (unlink, unlinkat)"),
        "{text}"
    );
    // The open alternative is false whatever the missing fields: evt.type is present.
    assert!(
        text.contains("[false] ((evt.type in (open, openat, openat2)"),
        "{text}"
    );
    // A clause over present fields only is evaluated.
    assert!(
        text.contains("[true] not proc.name in (logrotate"),
        "{text}"
    );
    assert!(
        text.contains("carries only the rule's output fields"),
        "{text}"
    );
}
