//! Shared helpers.
use quell_rules::diagnostic::LoadResult;

/// The upstream rules directory under ../shared.
pub fn upstream(file: &str) -> String {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/falco-rules/"
    )
    .to_string()
        + file;
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {p}: {e}"))
}

/// Formats diagnostics for an assertion message.
pub fn show(r: &LoadResult) -> String {
    let mut s = String::new();
    for d in r.errors.iter().chain(&r.warnings) {
        s += &format!("{} {} at {:?}\n", d.code.name(), d.message, d.position());
    }
    s
}
