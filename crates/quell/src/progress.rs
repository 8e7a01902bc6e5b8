//! Progress on standard error for long commands (`quell triage`, `quell tune`).
//!
//! Shown when standard error is a terminal (one line rewritten in place, about four times a
//! second) or when the user asks for it with `--progress` (then plain lines, one every two
//! seconds and one at the end of each phase, for logs). Never shown with `-q`. Everything
//! printed goes through `crate::output`, which escapes it: a phase name or a count never
//! reaches the terminal as a live escape sequence.
//!
//! Use: `let mut p = Progress::new(quiet, asked);` then `p.step("reading events", n, 0)` as
//! work advances (0 = total unknown) and `p.finish("reading events", n, 0)` when the phase ends.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Where progress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Nothing (quiet, or not a terminal and not asked).
    Off,
    /// A line rewritten in place (stderr is a terminal).
    Terminal,
    /// Plain lines (asked with `--progress`, stderr not a terminal).
    Lines,
}

impl Mode {
    /// The mode for a command's options and its standard error.
    pub fn choose(quiet: bool, asked: bool, stderr_is_terminal: bool) -> Mode {
        if quiet {
            Mode::Off
        } else if stderr_is_terminal {
            Mode::Terminal
        } else if asked {
            Mode::Lines
        } else {
            Mode::Off
        }
    }
}

/// A progress reporter for one command.
pub struct Progress {
    mode: Mode,
    every: Duration,
    last: Instant,
    /// Calls since the clock was last read (reading it on every record costs).
    calls: u32,
    /// A terminal line is showing and must be cleared before other output.
    shown: bool,
}

/// The text of one progress report: `what` at `done` of `total` (0 = unknown total).
pub fn render(what: &str, done: u64, total: u64) -> String {
    if total == 0 {
        format!("quell: {what}: {done}")
    } else {
        let pct = 100.0 * done.min(total) as f64 / total as f64;
        format!("quell: {what}: {pct:.0}% ({done} of {total})")
    }
}

impl Progress {
    /// A reporter: off with `quiet`; on a terminal, or as plain lines when `asked`.
    pub fn new(quiet: bool, asked: bool) -> Progress {
        Progress::with_mode(Mode::choose(quiet, asked, std::io::stderr().is_terminal()))
    }

    /// A reporter in a given mode.
    pub fn with_mode(mode: Mode) -> Progress {
        let every = match mode {
            Mode::Terminal => Duration::from_millis(250),
            _ => Duration::from_secs(2),
        };
        Progress {
            mode,
            every,
            last: Instant::now(),
            calls: 0,
            shown: false,
        }
    }

    /// Reports `what` at `done` of `total` (units of the caller's choosing; 0 = unknown
    /// total), at most every so often.
    pub fn step(&mut self, what: &str, done: u64, total: u64) {
        if self.mode == Mode::Off {
            return;
        }
        self.calls += 1;
        if self.calls < 64 && done != total {
            return;
        }
        self.calls = 0;
        if self.last.elapsed() < self.every {
            return;
        }
        self.last = Instant::now();
        self.show(&render(what, done, total));
    }

    /// Ends a phase: clears the terminal line, or prints the phase's last count as a line.
    pub fn finish(&mut self, what: &str, done: u64, total: u64) {
        match self.mode {
            Mode::Off => {}
            Mode::Terminal => self.clear(),
            Mode::Lines => crate::note!("{}, done", render(what, done, total)),
        }
        self.calls = 0;
    }

    /// Clears a terminal line in place (before other output to stderr).
    pub fn clear(&mut self) {
        if self.shown && self.mode == Mode::Terminal {
            crate::output::progress(format_args!("{:60}", ""));
            crate::output::progress(format_args!(""));
        }
        self.shown = false;
    }

    fn show(&mut self, text: &str) {
        match self.mode {
            Mode::Off => {}
            Mode::Terminal => {
                crate::output::progress(format_args!("{text:60}"));
                self.shown = true;
            }
            Mode::Lines => crate::note!("{text}"),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_wins_then_terminal_then_asked() {
        assert_eq!(Mode::choose(true, true, true), Mode::Off);
        assert_eq!(Mode::choose(false, false, true), Mode::Terminal);
        assert_eq!(Mode::choose(false, true, true), Mode::Terminal);
        assert_eq!(Mode::choose(false, true, false), Mode::Lines);
        assert_eq!(Mode::choose(false, false, false), Mode::Off);
    }

    #[test]
    fn render_counts_and_percentages() {
        assert_eq!(
            render("reading events", 1234, 0),
            "quell: reading events: 1234"
        );
        assert_eq!(render("triage", 1, 4), "quell: triage: 25% (1 of 4)");
        assert_eq!(render("triage", 9, 4), "quell: triage: 100% (9 of 4)");
    }
}
