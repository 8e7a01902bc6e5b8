//! quell's event model: flat JSON Lines events, Falco alerts, and reading them safely.
//!
//! One event per line: a JSON object whose keys are Falco field names (`"evt.type"`,
//! `"proc.name"`, `"proc.aname[2]"`, `"evt.arg.flags"`) and whose values are strings,
//! numbers, booleans or arrays of strings, coerced to the field's registry type. A key that
//! is absent, `null`, or the string `<NA>` is a missing field. Ancestor fields come one key
//! per level (`proc.aname[1]` is the parent). A Falco JSON alert line (it has `rule` and
//! `output_fields`) is also accepted, as an event made of its output fields.
//!
//! [`FlatEvent`] implements [`quell_rules::Event`]; [`RecordReader`] reads a stream of lines
//! with bounded memory, reporting each bad line with its number and going on with the rest;
//! [`FalcoAlert`] is the alert quell prints; [`term`] makes text safe for a terminal.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod alert;
mod ancestors;
mod flat;
mod reader;
pub mod term;
mod view;

pub use alert::{AlertError, FalcoAlert};
pub use ancestors::{ancestor_key, AEXEPATH, ANAME, ANCESTOR_LEVELS, APID};
pub use flat::{field_from, parse_line, timestamp_from, EventError, FlatEvent, ParsedLine};
pub use reader::{
    open, Line, LineError, LineRef, OpenError, Problem, ReadError, ReadOptions, RecordReader,
    Warning, DEFAULT_MAX_LINE_BYTES,
};
pub use view::EventRef;
