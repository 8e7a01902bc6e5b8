//! # quell-scap: Falco/sysdig `.scap` captures
//!
//! Reads the pcapng-based scap container ([`ScapReader`]): the section header (with or
//! without pcapng options), machine info, process list (versions 1 to 9), fd list, user and
//! group list, interface list, and event blocks with and without flags (versions 1 and 2,
//! large payloads), plain or gzip-compressed. Reading is streaming and bounded (one block
//! at a time, at most [`file::MAX_BLOCK_LEN`] bytes; tables at most
//! [`file::MAX_TABLE_BYTES`] per section) and never panics on hostile bytes: a bad block is a
//! [`ScapError`] naming the block and its byte offset, and the events before it were
//! delivered.
//!
//! Events are decoded by name through quell's own table of event types ([`schema`]);
//! [`flat`] pairs enter and exit events as libsinsp does and turns the capture's tables
//! and events into flat events with Falco field names, the form `quell replay` evaluates.
//! Layouts are taken from libscap's reader and the driver's event table
//! (falcosecurity/libs); no code of theirs is used.

pub mod error;
pub mod event;
pub mod file;
pub mod flat;
pub mod schema;
pub mod tables;
pub mod write;

pub use error::{At, ScapError};
pub use event::{Event, SockAddr, SockTuple};
pub use file::{looks_like_scap, Item, ReadStats, ScapReader};
pub use tables::Tables;
