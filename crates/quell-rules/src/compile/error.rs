//! Why a condition does not compile, and what the compiler warns about: typed, with
//! Falco's (libsinsp's) wording as their `Display`, which diagnostics carry as their
//! message. The diagnostic code is chosen from the kind, never from the text.

use crate::fields_table::FieldError;
use crate::ops::ValueError;

/// The message prefix of budget errors (reported with `QUELL_ERR_CONDITION_TOO_LARGE`).
pub const TOO_LARGE: &str = "Condition too large after macro expansion";

/// Why a condition (a rule's or a macro's) does not compile once parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// A name that is neither a field nor a macro, left after macro resolution.
    #[error("filter error: unexpected identifier '{0}'")]
    UnexpectedIdentifier(String),
    /// A field that does not resolve against the registry.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A transformer given the wrong number or kind of arguments.
    #[error("filter error: invalid arguments for transformer '{0}'")]
    TransformerArguments(&'static str),
    /// An operator the field's type does not support.
    #[error("'{op}' operator not supported for {kind} filters")]
    OperatorNotSupported {
        /// The operator.
        op: &'static str,
        /// The type family (`numeric`, `boolean`, ...).
        kind: &'static str,
    },
    /// An `evt.type` value that is no event type.
    #[error("unknown event type {0}")]
    UnknownEventType(String),
    /// A field on the right of an operator that takes only constants.
    #[error("operator '{0}' doesn't support right-hand side fields")]
    RhsFieldNotSupported(&'static str),
    /// A list after an operator that takes one value.
    #[error("'{0}' operator does not take a list")]
    NotAList(&'static str),
    /// A constant that is not a number, for a numeric field.
    #[error("filter error: '{0}' is not a valid number")]
    NotANumber(String),
    /// A constant that is not `true` or `false`, for a boolean field.
    #[error("filter error: '{0}' is not a valid boolean")]
    NotABoolean(String),
    /// A constant that is not an address, for an address field.
    #[error("filter error: '{0}' is not a valid IP address")]
    NotAnIpAddress(String),
    /// A constant refused by the operator primitives (regex, hex, network).
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A macro that is not defined (or not yet, where it is used).
    #[error("Undefined macro '{0}' used in filter.")]
    UndefinedMacro(String),
    /// Macros that refer to one another in a loop.
    #[error("reference loop in macro '{0}'")]
    ReferenceLoop(String),
    /// The condition grows beyond the expansion budget
    /// ([`super::MAX_EXPANDED_NODES`], [`super::MAX_EXPANDED_DEPTH`], [`super::MAX_MACRO_NESTING`]).
    #[error("{TOO_LARGE}: {what}{}", owner.as_ref().map(|o| format!(" while expanding macro '{o}'")).unwrap_or_default())]
    TooLarge {
        /// What exceeded the budget.
        what: String,
        /// The macro being expanded, or `None` for a rule's own condition.
        owner: Option<String>,
    },
}

impl CompileError {
    /// Whether Falco treats this error as an unknown field or event type: its
    /// `LOAD_UNKNOWN_FILTER` when the rule has `skip-if-unknown-filter: true` (a warning, the
    /// rule is skipped). The typed kinds say so; see [`falco_reads_as_unknown`] for the
    /// messages Falco's engine also takes that way.
    pub fn is_unknown_filter(&self) -> bool {
        matches!(
            self,
            CompileError::Field(FieldError::Nonexistent { .. }) | CompileError::UnknownEventType(_)
        ) || falco_reads_as_unknown(&self.to_string())
    }
}

/// A compiler warning (Falco's `LOAD_COMPILE_CONDITION`): the condition compiles, but a
/// constant looks like a mistake or an operator is needlessly costly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompileWarning {
    /// A constant that is a field name (blanks removed).
    #[error("'{0}' may be a valid field misused as a const string value")]
    FieldAsConstant(String),
    /// A constant that starts like a transformer call.
    #[error("'{0}' may be a valid field transformer misused as a const string value")]
    TransformerAsConstant(String),
    /// A `regex` whose pattern has no regex syntax.
    #[error("regex check with '{0}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'")]
    RegexWithoutMeta(String),
}

/// Falco's engine (0.63) decides `LOAD_UNKNOWN_FILTER` from the text of the compiler's
/// message: any message that contains "nonexistent field", "invalid formatting token" or
/// "unknown event type" counts, including one that only quotes such a constant
/// (`proc.pid = "nonexistent field"` is skipped with a warning there, not refused). quell
/// keeps the decision on its typed errors and adds this rule so the outcome stays Falco's.
pub fn falco_reads_as_unknown(message: &str) -> bool {
    [
        "nonexistent field",
        "invalid formatting token",
        "unknown event type",
    ]
    .iter()
    .any(|m| message.contains(m))
}
