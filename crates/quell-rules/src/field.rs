//! Fields: their types, the registry of known fields, values, and the [`Event`]
//! trait that the evaluator reads events through.
//!
//! The registry's table lives in [`crate::fields_table`]; this module holds the
//! types every other stage shares.

use std::borrow::Cow;
use std::net::IpAddr;

/// The value type of a field, condensed from libsinsp's parameter types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// Text (`PT_CHARBUF`).
    Str,
    /// A filesystem path (`PT_FSPATH`); compares as text.
    Path,
    /// A signed integer (`PT_INT64`, `PT_ERRNO`, `PT_FD`, `PT_PID`, ...).
    Int,
    /// An unsigned integer (`PT_UINT64`, `PT_PORT`, `PT_UINT32`, ...).
    Uint,
    /// A boolean (`PT_BOOL`).
    Bool,
    /// An IP address (`PT_IPADDR`).
    Ip,
    /// An IP network (`PT_IPNET`): compared with CIDR semantics.
    IpNet,
    /// Raw bytes (`PT_BYTEBUF`).
    Bytes,
}

impl FieldType {
    /// Text types compare as strings.
    pub fn is_text(self) -> bool {
        matches!(self, FieldType::Str | FieldType::Path)
    }
    /// Numeric types.
    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Int | FieldType::Uint)
    }
}

/// Whether and how a field takes a bracketed argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// No argument.
    None,
    /// `[N]`, optional: an ancestor level (`proc.aname[2]`); without it every level is checked.
    OptionalIndex,
    /// `[N]`, required numeric index.
    Index,
    /// `[KEY]`, required string key (`proc.env[HOME]`, `container.mount.dest[/etc]`).
    Key,
    /// `[KEY]`, optional string key.
    OptionalKey,
    /// A name after a dot (`evt.arg.flags`), or in brackets (`evt.arg[flags]`).
    DottedName,
}

/// One field of the registry.
#[derive(Clone, Copy, Debug)]
pub struct FieldDescriptor {
    /// Field name, e.g. `proc.name`; for [`ArgKind::DottedName`] fields the prefix, e.g. `evt.arg`.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Its argument kind.
    pub arg: ArgKind,
    /// One-line description.
    pub desc: &'static str,
    /// Usable only in conditions, never extracted for output (`fd.ip`, `fd.net`, ...).
    pub filter_only: bool,
}

/// A field reference resolved against the registry, as the compiled condition
/// and the output formatter hold it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// Base name from the registry (`proc.aname`, `evt.arg`, `fd.name`).
    pub name: &'static str,
    /// The argument, if any (`"2"` for `proc.aname[2]`, `"flags"` for `evt.arg.flags`).
    pub arg: Option<String>,
    /// The key under which flat events carry this field: the field as written in
    /// its canonical form (`proc.aname[2]`, `evt.arg.flags`, `fd.name`).
    pub key: String,
    /// The value type.
    pub ty: FieldType,
    /// True for an ancestor field written without an index (`proc.aname`): the
    /// event yields every level and a check matches if any level matches.
    pub all_levels: bool,
}

/// A value extracted from an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// Text.
    Str(Cow<'a, str>),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A boolean.
    Bool(bool),
    /// An IP address.
    Ip(IpAddr),
    /// Several values: every ancestor level for an `all_levels` field, or a list field.
    List(Vec<Value<'a>>),
}

impl Value<'_> {
    /// Converts to an owned value.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Int(i) => Value::Int(i),
            Value::Uint(u) => Value::Uint(u),
            Value::Bool(b) => Value::Bool(b),
            Value::Ip(ip) => Value::Ip(ip),
            Value::List(v) => Value::List(v.into_iter().map(Value::into_owned).collect()),
        }
    }
}

impl std::fmt::Display for Value<'_> {
    /// The text Falco prints for this value in an output string.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Uint(u) => write!(f, "{u}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Ip(ip) => write!(f, "{ip}"),
            Value::List(v) => {
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{x}")?;
                }
                Ok(())
            }
        }
    }
}

/// What the evaluator reads an event through. Event formats (flat JSON, live
/// capture) implement it in `quell-events`.
pub trait Event {
    /// The event type (`openat`, `execve`, ...), used to pick the rules to run.
    fn evt_type(&self) -> Option<&str>;
    /// The event type as an id ([`crate::compile::evttypes::type_id`] of [`Event::evt_type`]),
    /// `None` when the event has no type or one Falco does not know. An event that keeps
    /// the id (a reader resolving the type once) overrides this; the answer must agree with
    /// [`Event::evt_type`].
    fn evt_type_id(&self) -> Option<crate::compile::evttypes::EvtTypeId> {
        self.evt_type().and_then(crate::compile::evttypes::type_id)
    }
    /// The value of a field, or `None` when the event lacks it (Falco's `<NA>`).
    /// For a field with `all_levels`, every level the event carries, as [`Value::List`].
    fn field(&self, f: &FieldRef) -> Option<Value<'_>>;
}

impl Value<'_> {
    /// A borrowed view of this value: text is not copied (lists still allocate their vector).
    pub fn borrowed(&self) -> Value<'_> {
        match self {
            Value::Str(s) => Value::Str(Cow::Borrowed(s.as_ref())),
            Value::Int(i) => Value::Int(*i),
            Value::Uint(u) => Value::Uint(*u),
            Value::Bool(b) => Value::Bool(*b),
            Value::Ip(ip) => Value::Ip(*ip),
            Value::List(v) => Value::List(v.iter().map(Value::borrowed).collect()),
        }
    }

    /// The text of a [`Value::Str`], if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}
