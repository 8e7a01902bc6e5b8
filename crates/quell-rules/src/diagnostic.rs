//! Diagnostics as data: every error and warning the loader and compiler report,
//! with Falco's code names, and where it points. Rendering happens at the edge
//! (the `quell` binary); [`LoadResult`] also renders Falco's own text and JSON forms.

use serde::Serialize;

/// Whether a diagnostic stops the file from loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file is invalid.
    Error,
    /// The file loads; something deserves attention.
    Warning,
}

/// Stable diagnostic codes: Falco's names (`falco_load_result.cpp`), in Falco's enum
/// order, then quell's own (`QUELL_*`, for what Falco does not report). The explicit
/// discriminants never change and are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Code {
    /// File read error
    LoadErrFileRead = 1,
    /// YAML parse error
    LoadErrYamlParse = 2,
    /// Error validating internal structure of YAML file
    LoadErrYamlValidate = 3,
    /// Error compiling condition
    LoadErrCompileCondition = 4,
    /// Error compiling output
    LoadErrCompileOutput = 5,
    /// Error validating rule/macro/list/exception objects
    LoadErrValidate = 6,
    /// Error in extension item
    LoadErrExtension = 7,
    /// Unknown event source
    LoadUnknownSource = 101,
    /// Unsafe `<NA>` comparison in condition
    LoadUnsafeNaCheck = 102,
    /// Condition has no event-type restriction
    LoadNoEvttype = 103,
    /// Unknown field or event-type in condition or output
    LoadUnknownFilter = 104,
    /// Unused macro
    LoadUnusedMacro = 105,
    /// Unused list
    LoadUnusedList = 106,
    /// Unknown rules file item
    LoadUnknownItem = 107,
    /// Used deprecated item
    LoadDeprecatedItem = 108,
    /// Warning in extension item
    LoadWarningExtension = 109,
    /// Overriding/appending with no values
    LoadAppendNoValues = 110,
    /// Multiple exceptions defined with the same name
    LoadExceptionNameNotUnique = 111,
    /// Invalid macro name
    LoadInvalidMacroName = 112,
    /// Invalid list name
    LoadInvalidListName = 113,
    /// Warning in rule condition
    LoadCompileCondition = 114,
    /// Unknown key in item definition
    LoadUnknownKey = 115,
    /// quell: a condition grows beyond the expansion budget when its macros are
    /// substituted ([`crate::compile::MAX_EXPANDED_NODES`]).
    QuellErrConditionTooLarge = 90,
    /// quell: a key given twice in one mapping (Falco silently uses the first).
    QuellDuplicateKey = 200,
}

impl Code {
    /// Every code: Falco's, errors first, in Falco's enum order; then quell's.
    pub const ALL: [Code; 24] = [
        Code::LoadErrFileRead,
        Code::LoadErrYamlParse,
        Code::LoadErrYamlValidate,
        Code::LoadErrCompileCondition,
        Code::LoadErrCompileOutput,
        Code::LoadErrValidate,
        Code::LoadErrExtension,
        Code::LoadUnknownSource,
        Code::LoadUnsafeNaCheck,
        Code::LoadNoEvttype,
        Code::LoadUnknownFilter,
        Code::LoadUnusedMacro,
        Code::LoadUnusedList,
        Code::LoadUnknownItem,
        Code::LoadDeprecatedItem,
        Code::LoadWarningExtension,
        Code::LoadAppendNoValues,
        Code::LoadExceptionNameNotUnique,
        Code::LoadInvalidMacroName,
        Code::LoadInvalidListName,
        Code::LoadCompileCondition,
        Code::LoadUnknownKey,
        Code::QuellErrConditionTooLarge,
        Code::QuellDuplicateKey,
    ];

    /// Falco's code name, e.g. `LOAD_ERR_COMPILE_CONDITION`.
    pub fn name(self) -> &'static str {
        match self {
            Code::LoadErrFileRead => "LOAD_ERR_FILE_READ",
            Code::LoadErrYamlParse => "LOAD_ERR_YAML_PARSE",
            Code::LoadErrYamlValidate => "LOAD_ERR_YAML_VALIDATE",
            Code::LoadErrCompileCondition => "LOAD_ERR_COMPILE_CONDITION",
            Code::LoadErrCompileOutput => "LOAD_ERR_COMPILE_OUTPUT",
            Code::LoadErrValidate => "LOAD_ERR_VALIDATE",
            Code::LoadErrExtension => "LOAD_ERR_EXTENSION",
            Code::LoadUnknownSource => "LOAD_UNKNOWN_SOURCE",
            Code::LoadUnsafeNaCheck => "LOAD_UNSAFE_NA_CHECK",
            Code::LoadNoEvttype => "LOAD_NO_EVTTYPE",
            Code::LoadUnknownFilter => "LOAD_UNKNOWN_FILTER",
            Code::LoadUnusedMacro => "LOAD_UNUSED_MACRO",
            Code::LoadUnusedList => "LOAD_UNUSED_LIST",
            Code::LoadUnknownItem => "LOAD_UNKNOWN_ITEM",
            Code::LoadDeprecatedItem => "LOAD_DEPRECATED_ITEM",
            Code::LoadWarningExtension => "LOAD_WARNING_EXTENSION",
            Code::LoadAppendNoValues => "LOAD_APPEND_NO_VALUES",
            Code::LoadExceptionNameNotUnique => "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
            Code::LoadInvalidMacroName => "LOAD_INVALID_MACRO_NAME",
            Code::LoadInvalidListName => "LOAD_INVALID_LIST_NAME",
            Code::LoadCompileCondition => "LOAD_COMPILE_CONDITION",
            Code::LoadUnknownKey => "LOAD_UNKNOWN_KEY",
            Code::QuellErrConditionTooLarge => "QUELL_ERR_CONDITION_TOO_LARGE",
            Code::QuellDuplicateKey => "QUELL_DUPLICATE_KEY",
        }
    }

    /// Falco's short description (`codedesc` in `falco -V` JSON).
    pub fn desc(self) -> &'static str {
        match self {
            Code::LoadErrFileRead => "File read error",
            Code::LoadErrYamlParse => "YAML parse error",
            Code::LoadErrYamlValidate => "Error validating internal structure of YAML file",
            Code::LoadErrCompileCondition => "Error compiling condition",
            Code::LoadErrCompileOutput => "Error compiling output",
            Code::LoadErrValidate => "Error validating rule/macro/list/exception objects",
            Code::LoadErrExtension => "Error in extension item",
            Code::LoadUnknownSource => "Unknown event source",
            Code::LoadUnsafeNaCheck => "Unsafe <NA> comparison in condition",
            Code::LoadNoEvttype => "Condition has no event-type restriction",
            Code::LoadUnknownFilter => "Unknown field or event-type in condition or output",
            Code::LoadUnusedMacro => "Unused macro",
            Code::LoadUnusedList => "Unused list",
            Code::LoadUnknownItem => "Unknown rules file item",
            Code::LoadDeprecatedItem => "Used deprecated item",
            Code::LoadWarningExtension => "Warning in extension item",
            Code::LoadAppendNoValues => "Overriding/appending with no values",
            Code::LoadExceptionNameNotUnique => "Multiple exceptions defined with the same name",
            Code::LoadInvalidMacroName => "Invalid macro name",
            Code::LoadInvalidListName => "Invalid list name",
            Code::LoadCompileCondition => "Warning in rule condition",
            Code::LoadUnknownKey => "Unknown key in item definition",
            Code::QuellErrConditionTooLarge => "Condition too large after macro expansion",
            Code::QuellDuplicateKey => "Duplicate key in a mapping",
        }
    }

    /// Errors make a file invalid; the rest are warnings.
    pub fn severity(self) -> Severity {
        if (self as u16) < 100 {
            Severity::Error
        } else {
            Severity::Warning
        }
    }

    /// Looks a code up by its Falco name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// A position in a rules file: file name, 1-based line and column, byte offset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Position {
    /// The rules file's name as given to the loader.
    pub name: String,
    /// Line, 1-based.
    pub line: u32,
    /// Column, 1-based.
    pub column: u32,
    /// Byte offset, 0-based.
    pub offset: usize,
}

/// One level of "where": the item kind (Falco's item type strings: `rule`,
/// `rule condition`, `exception`, ...), its name and its position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Falco's item type string, e.g. `"rule"`, `"condition expression"`.
    pub item_type: String,
    /// The item's name (a rule name, a condition excerpt, ...).
    pub item_name: String,
    /// Where it is.
    pub position: Position,
}

/// An error or a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// The message, with Falco's wording where Falco has one.
    pub message: String,
    /// Outermost first: the item, then nested parts down to the exact spot. The
    /// innermost position (file, line, column, byte offset) is where the snippet
    /// points; the snippet itself is rendered from the file's text when shown
    /// ([`Diagnostic::snippet`]).
    pub locations: Vec<Location>,
    /// For Falco's deprecated-field warnings (`LOAD_DEPRECATED_ITEM`): the field
    /// (`evt.dir`), as in the `deprecated_field` key of Falco's JSON.
    pub deprecated_field: Option<String>,
}

impl Diagnostic {
    /// Error or warning, from the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
    /// The innermost position, if any.
    pub fn position(&self) -> Option<&Position> {
        self.locations.last().map(|l| &l.position)
    }

    /// Falco's snippet (the source line at the innermost position, then a caret line
    /// under the spot), rendered from the text of the file that position names. `None`
    /// when the diagnostic has no position or `sources` lacks that file.
    pub fn snippet(&self, sources: &dyn Sources) -> Option<String> {
        let p = self.position()?;
        sources
            .source(&p.name)
            .map(|text| crate::load::snippet(text, p.offset))
    }
}

/// The texts of the rules files diagnostics point into, by the name each was loaded
/// under: what rendering at the edge needs to show snippets.
pub trait Sources {
    /// The text of the file loaded as `name`.
    fn source(&self, name: &str) -> Option<&str>;
}

impl Sources for std::collections::HashMap<String, String> {
    fn source(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t.as_str())
}

/// `(name, text)` pairs.
impl Sources for Vec<(String, String)> {
    fn source(&self, name: &str) -> Option<&str> {
        find(self, name)
    }
}

/// `(name, text)` pairs.
impl<const N: usize> Sources for [(String, String); N] {
    fn source(&self, name: &str) -> Option<&str> {
        find(self, name)
    }
}

/// No texts at hand: diagnostics render without snippets.
impl Sources for () {
    fn source(&self, _: &str) -> Option<&str> {
        None
    }
}

/// The result of loading one rules file, as Falco reports it per file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadResult {
    /// The file's name as given to the loader.
    pub name: String,
    /// False when any error was reported for this file.
    pub successful: bool,
    /// Errors, in the order found.
    pub errors: Vec<Diagnostic>,
    /// Warnings, in the order found.
    pub warnings: Vec<Diagnostic>,
    /// Falco's schema statuses (`"ok"` or `"failed for ..."`, see
    /// [`crate::load::schema`]); empty when the file was not validated (a YAML error,
    /// no document). The file is schema-valid when the first status is `"ok"`.
    pub schema_validation: Vec<String>,
}

impl LoadResult {
    /// Falco's `schema_valid`: `None` when no schema status was recorded.
    pub fn schema_valid(&self) -> Option<bool> {
        self.schema_validation
            .first()
            .map(|s| s == crate::load::schema::VALIDATION_OK)
    }
}
