//! The field registry: every field quell knows, with its type, argument kind and
//! a one-line description. Unknown fields are a compile error, as in Falco.

use crate::field::{FieldDescriptor, FieldRef};

/// The registry of known fields.
#[derive(Debug)]
pub struct Registry {
    fields: &'static [FieldDescriptor],
}

static FIELDS: &[FieldDescriptor] = &[];

static REGISTRY: Registry = Registry { fields: FIELDS };

/// The built-in registry.
pub fn registry() -> &'static Registry {
    &REGISTRY
}

impl Registry {
    /// Every field, in table order.
    pub fn descriptors(&self) -> &[FieldDescriptor] {
        self.fields
    }

    /// The descriptor of a base field name (`proc.aname`, `evt.arg`, `fd.name`).
    pub fn lookup(&self, name: &str) -> Option<&FieldDescriptor> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Resolves a field as the parser gives it (name and optional bracketed argument).
    /// `evt.arg.flags` resolves to the `evt.arg` field with argument `flags`.
    /// Errors carry Falco's wording, e.g. `filter_check called with nonexistent field proc.nobody`.
    pub fn resolve(&self, name: &str, arg: Option<&str>) -> Result<FieldRef, String> {
        let _ = (name, arg);
        Err(format!("filter_check called with nonexistent field {name}"))
    }

    /// Resolves a field written as text, with its argument: `proc.aname[2]`, `evt.arg.flags`.
    pub fn resolve_text(&self, text: &str) -> Result<FieldRef, String> {
        match text.find('[') {
            Some(i) if text.ends_with(']') => self.resolve(&text[..i], Some(&text[i + 1..text.len() - 1])),
            _ => self.resolve(text, None),
        }
    }
}
