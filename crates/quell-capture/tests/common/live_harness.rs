//! The harness of the live-capture test files (`quell-capture/tests/live_capture.rs`,
//! `quell/tests/live.rs`, `quell/tests/live_scap.rs`), in one place; included with
//! `#[path]` and `#[macro_use]`.
//!
//! A live test that cannot run here (not privileged, no kernel BTF: what
//! `quell_capture::check_support` says) is reported as ignored, never as passed. With
//! `QUELL_LIVE_TESTS=1` (CI, as root) none is ignored: one that cannot run fails.

/// Runs `tests` (name, function) under libtest-mimic with the rule above, and `always`
/// (tests that read files only) in any case; exits.
pub fn run(tests: Vec<(&'static str, fn())>, always: Vec<(&'static str, fn())>) -> ! {
    use libtest_mimic::{Arguments, Trial};
    let args = Arguments::from_args();
    let why_not = if std::env::var("QUELL_LIVE_TESTS").as_deref() == Ok("1") {
        None
    } else {
        quell_capture::check_support().err()
    };
    if let Some(why) = &why_not {
        eprintln!("live tests ignored: {why} (set QUELL_LIVE_TESTS=1 to run them anyway)");
    }
    let ignore = why_not.is_some();
    let trial = |(name, f): (&'static str, fn()), ignored: bool| {
        Trial::test(name, move || {
            f();
            Ok(())
        })
        .with_ignored_flag(ignored)
    };
    let trials = tests
        .into_iter()
        .map(|t| trial(t, ignore))
        .chain(always.into_iter().map(|t| trial(t, false)))
        .collect();
    libtest_mimic::run(&args, trials).exit()
}

/// `live_tests![a, b, ...; always: c, ...]`: the file's `main`, running the live tests
/// `a`, `b`, ... and the file-only tests `c`, ... (each a `fn()`), and `LIVE_TESTS`, all
/// their names.
macro_rules! live_tests {
    ($($t:ident),* $(,)? $(; always: $($a:ident),* $(,)?)?) => {
        /// The names of the tests registered with the harness.
        #[allow(dead_code)]
        const LIVE_TESTS: &[&str] = &[$(stringify!($t),)* $($(stringify!($a),)*)?];

        fn main() {
            live_harness::run(
                vec![$((stringify!($t), $t as fn())),*],
                vec![$($((stringify!($a), $a as fn())),*)?],
            );
        }
    };
}
