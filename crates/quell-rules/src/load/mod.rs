//! Loading rules files: YAML → items, the collector (define, append, override,
//! enable), exceptions compiled into condition text, lists substituted as text.

/// A rule's priority, in Falco's numeric order (Emergency = 0 … Debug = 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Emergency
    Emergency = 0,
    /// Alert
    Alert = 1,
    /// Critical
    Critical = 2,
    /// Error
    Error = 3,
    /// Warning
    Warning = 4,
    /// Notice
    Notice = 5,
    /// Informational (also spelled `info`)
    Informational = 6,
    /// Debug
    Debug = 7,
}

impl Priority {
    /// Parses a priority, case-insensitively; `info` is accepted for Informational.
    pub fn parse(s: &str) -> Option<Priority> {
        let p = match s.trim().to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        };
        Some(p)
    }

    /// The long form Falco prints in alerts (`Warning`, `Informational`).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
}

mod collector;
mod exceptions;
mod lists;
mod result;
pub mod schema;
mod version;
pub mod yaml;

pub use collector::{
    Collector, ListInfo, MacroInfo, PluginRequirement, RuleInfo, ENGINE_VERSION, SYSCALL_SOURCE,
};
pub use exceptions::{
    build_exception_condition, build_exception_parts, paren_item, quote_item, ExValue,
    ExceptionError, ExceptionInfo,
};
pub use lists::substitute_lists;
pub use result::{condition_context_name, condition_location, make_diag, root_location, snippet};
pub use version::Version;
