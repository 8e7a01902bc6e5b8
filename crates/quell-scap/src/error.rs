//! Errors: every one names the block (its kind and type id) and the byte offset where the
//! block starts in the (decompressed) capture stream.

use std::fmt;

/// Where a problem was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// Block type id as written in the file (`0x0A0D0D0A` for a section header, ...).
    pub block_type: u32,
    /// Byte offset of the block's first byte in the decompressed stream.
    pub offset: u64,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} block (type {:#x}) at byte {}",
            crate::file::block_name(self.block_type),
            self.block_type,
            self.offset
        )
    }
}

/// A capture that cannot be read (further).
#[derive(Debug, thiserror::Error)]
pub enum ScapError {
    /// The stream is not a scap capture (no section header block first).
    #[error("not a scap capture: the first 4 bytes are {0:02x?}, not a section header block")]
    NotScap([u8; 4]),
    /// The stream ended inside a block.
    #[error("truncated capture: the {at} needs {needed} bytes, the stream ends after {got}")]
    Truncated {
        /// The block.
        at: At,
        /// Bytes its header announced (or the 8-byte header itself).
        needed: u64,
        /// Bytes present.
        got: u64,
    },
    /// A block's content contradicts its framing or the format.
    #[error("{at}: {what}")]
    Corrupt {
        /// The block.
        at: At,
        /// What is wrong, with the offending values.
        what: String,
    },
    /// Reading failed (including a corrupt gzip stream).
    #[error("read error at byte {offset} of the (decompressed) capture: {source}")]
    Io {
        /// Bytes consumed before the failure.
        offset: u64,
        /// The error.
        source: std::io::Error,
    },
}

impl ScapError {
    pub(crate) fn corrupt(at: At, what: impl Into<String>) -> Self {
        ScapError::Corrupt {
            at,
            what: what.into(),
        }
    }

    /// The block the error is in, when it is about one.
    pub fn at(&self) -> Option<At> {
        match self {
            ScapError::Truncated { at, .. } | ScapError::Corrupt { at, .. } => Some(*at),
            _ => None,
        }
    }
}
