//! The container: pcapng-style blocks `[u32 type][u32 total length][body][padding][u32 total
//! length]`, a section header first, the tables, then event blocks. gzip-compressed files are
//! recognised by their magic and decompressed as they are read.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;

use crate::error::{At, ScapError};
use crate::event::{self, Event};
use crate::tables::{self, Tables};

/// Section header block.
pub const SHB: u32 = 0x0A0D_0D0A;
/// The byte-order magic of a section header written on a little-endian host.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// Largest block accepted (a larger length is reported as corrupt rather than read).
pub const MAX_BLOCK_LEN: u32 = 64 << 20;
/// Largest total size of table blocks kept per section.
pub const MAX_TABLE_BYTES: u64 = 512 << 20;

/// Event block kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EvBlock {
    /// Version 1: 22-byte event header without a parameter count.
    V1 { flags: bool },
    /// Version 2: 26-byte header with the count.
    V2 { flags: bool },
}

pub(crate) fn ev_block(t: u32) -> Option<EvBlock> {
    Some(match t {
        0x204 | 0x8010_ABCD => EvBlock::V1 { flags: false },
        0x208 => EvBlock::V1 { flags: true },
        0x216 | 0x221 => EvBlock::V2 { flags: false },
        0x217 | 0x222 => EvBlock::V2 { flags: true },
        _ => return None,
    })
}

/// A human name for a block type, for errors.
pub fn block_name(t: u32) -> &'static str {
    match t {
        SHB => "section header",
        0x201 | 0x8002_ABCD => "machine info",
        0x203 | 0x8001_ABCD | 0x218 => "fd list",
        0x205 | 0x8011_ABCD | 0x219 => "interface list",
        0x206 | 0x8012_ABCD | 0x220 => "user list",
        t if tables::proclist_version(t).is_some() => "process list",
        t if ev_block(t).is_some() => "event",
        _ => "unknown",
    }
}

/// Counts of what was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Event blocks read.
    pub events: u64,
    /// Blocks of unknown type skipped (forward compatibility, as libscap does).
    pub unknown_blocks: u64,
    /// Sections (a concatenation of captures has several).
    pub sections: u64,
}

/// What the reader yields.
#[derive(Debug)]
pub enum Item<'a> {
    /// The tables of a section, once per section, before its events.
    Tables(&'a Tables),
    /// One event.
    Event(Event<'a>),
}

/// Streaming reader of a scap capture (plain or gzip), bounded in memory by the largest
/// block ([`MAX_BLOCK_LEN`]) plus the tables ([`MAX_TABLE_BYTES`] per section).
pub struct ScapReader {
    input: Box<dyn BufRead>,
    /// Bytes of the decompressed stream consumed so far.
    pos: u64,
    tables: Tables,
    buf: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// A block header read but not yet handled (the first event block after the tables, or a
    /// section header after events).
    pending: Option<(u32, u32, u64)>,
    tables_due: bool,
    stats: ReadStats,
    failed: bool,
    /// Block type and offset of the current event.
    cur: (u32, u64),
    evh: event::Header,
}

impl std::fmt::Debug for ScapReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScapReader")
            .field("pos", &self.pos)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Whether these first bytes start a scap capture (plain section header) or a gzip stream
/// (which may hold one; [`ScapReader::new`] finds out).
pub fn looks_like_scap(head: &[u8]) -> bool {
    head.starts_with(&SHB.to_le_bytes()) || head.starts_with(&[0x1f, 0x8b])
}

impl ScapReader {
    /// Opens a capture file.
    pub fn open(path: &Path) -> Result<Self, ScapError> {
        let f = File::open(path).map_err(|source| ScapError::Io { offset: 0, source })?;
        Self::new(BufReader::with_capacity(256 << 10, f))
    }

    /// Reads a capture from any buffered input; gzip is detected from the first two bytes.
    /// Reads the section header and the tables that follow it.
    pub fn new<R: BufRead + 'static>(mut input: R) -> Result<Self, ScapError> {
        let head = input
            .fill_buf()
            .map_err(|source| ScapError::Io { offset: 0, source })?;
        let input: Box<dyn BufRead> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(BufReader::with_capacity(
                256 << 10,
                flate2::bufread::MultiGzDecoder::new(input),
            ))
        } else {
            Box::new(input)
        };
        let mut r = ScapReader {
            input,
            pos: 0,
            tables: Tables::default(),
            buf: Vec::new(),
            spans: Vec::new(),
            pending: None,
            tables_due: false,
            stats: ReadStats::default(),
            failed: false,
            cur: (0, 0),
            evh: event::Header::default(),
        };
        let first = r.block_header()?;
        match first {
            Some((SHB, len, off)) => r.section(len, off)?,
            Some((t, _, _)) => return Err(ScapError::NotScap(t.to_le_bytes())),
            None => return Err(ScapError::NotScap([0; 4])),
        }
        Ok(r)
    }

    /// The tables of the current section.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Counts so far.
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// Reads `n` bytes into `buf` (one buffer, reused from block to block), or as many as
    /// there are before the end; returns how many.
    fn fill(&mut self, n: usize) -> Result<usize, ScapError> {
        self.buf.clear();
        // Copied from the input's buffer as it comes: `buf` grows with the data actually
        // present, so a lying length costs no memory up front.
        while self.buf.len() < n {
            let chunk = match self.input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ScapError::Io {
                        offset: self.pos,
                        source,
                    })
                }
            };
            if chunk.is_empty() {
                break;
            }
            let take = chunk.len().min(n - self.buf.len());
            self.buf
                .extend_from_slice(chunk.get(..take).unwrap_or_default());
            self.input.consume(take);
        }
        let got = self.buf.len();
        self.pos += got as u64;
        Ok(got)
    }

    /// The next block header, `None` at a clean end of stream.
    fn block_header(&mut self) -> Result<Option<(u32, u32, u64)>, ScapError> {
        if let Some(p) = self.pending.take() {
            return Ok(Some(p));
        }
        let off = self.pos;
        let got = self.fill(8)?;
        if got == 0 {
            return Ok(None);
        }
        let b = self.buf.as_slice();
        let (Some(t), Some(l)) = (
            b.get(0..4).and_then(|s| s.try_into().ok()),
            b.get(4..8).and_then(|s| s.try_into().ok()),
        ) else {
            let t = b
                .get(0..4)
                .and_then(|s| s.try_into().ok())
                .map_or(0, u32::from_le_bytes);
            return Err(ScapError::Truncated {
                at: At {
                    block_type: t,
                    offset: off,
                },
                needed: 8,
                got: got as u64,
            });
        };
        let (t, l) = (u32::from_le_bytes(t), u32::from_le_bytes(l));
        if off == 0 && t != SHB {
            return Err(ScapError::NotScap(t.to_le_bytes()));
        }
        let at = At {
            block_type: t,
            offset: off,
        };
        if l < 12 || l % 4 != 0 || l > MAX_BLOCK_LEN {
            return Err(ScapError::corrupt(
                at,
                format!("block length {l} is not a multiple of 4 between 12 and {MAX_BLOCK_LEN}"),
            ));
        }
        Ok(Some((t, l, off)))
    }

    /// Reads the rest of a block (after its 8-byte header) into `buf`; returns the body
    /// length (without the trailing length), checking the trailer when asked.
    fn block_body(&mut self, t: u32, len: u32, off: u64, check: bool) -> Result<usize, ScapError> {
        let at = At {
            block_type: t,
            offset: off,
        };
        let rest = (len - 8) as usize;
        let got = self.fill(rest)?;
        if got < rest {
            return Err(ScapError::Truncated {
                at,
                needed: u64::from(len),
                got: 8 + got as u64,
            });
        }
        let body = rest - 4;
        if check {
            let trailer = self
                .buf
                .get(body..rest)
                .and_then(|s| s.try_into().ok())
                .map(u32::from_le_bytes)
                .unwrap_or(0);
            if trailer != len {
                return Err(ScapError::corrupt(
                    at,
                    format!("trailing length {trailer} differs from the leading length {len}"),
                ));
            }
        }
        Ok(body)
    }

    /// Reads a section header and the table blocks after it, up to the first event block.
    fn section(&mut self, len: u32, off: u64) -> Result<(), ScapError> {
        let at = At {
            block_type: SHB,
            offset: off,
        };
        let body = self.block_body(SHB, len, off, true)?;
        let b = self.buf.get(..body).unwrap_or_default();
        if b.len() < 16 {
            return Err(ScapError::corrupt(
                at,
                format!("section header body is {} bytes, needs 16", b.len()),
            ));
        }
        let mut c = tables::Cur::new(b);
        let magic = c.u32().unwrap_or(0);
        if magic != BYTE_ORDER_MAGIC {
            return Err(ScapError::corrupt(
                at,
                format!("byte-order magic {magic:#x} is not {BYTE_ORDER_MAGIC:#x} (big-endian captures are not read, as by libscap)"),
            ));
        }
        let major = c.u16().unwrap_or(0);
        let minor = c.u16().unwrap_or(0);
        if major != 1 {
            return Err(ScapError::corrupt(
                at,
                format!("format version {major}.{minor} is not 1.x"),
            ));
        }
        self.stats.sections += 1;
        self.tables = Tables {
            section: tables::Section {
                major,
                minor,
                options_len: b.len() - 16,
            },
            ..Tables::default()
        };
        let mut table_bytes = 0u64;
        while let Some((t, l, o)) = self.block_header()? {
            if ev_block(t).is_some() || t == SHB {
                self.pending = Some((t, l, o));
                break;
            }
            let at = At {
                block_type: t,
                offset: o,
            };
            table_bytes += u64::from(l);
            if table_bytes > MAX_TABLE_BYTES {
                return Err(ScapError::corrupt(
                    at,
                    format!("the section's tables exceed {MAX_TABLE_BYTES} bytes"),
                ));
            }
            let body = self.block_body(t, l, o, true)?;
            let b = self.buf.get(..body).unwrap_or_default();
            let tb = &mut self.tables;
            match t {
                0x201 | 0x8002_ABCD => tb.machine = Some(tables::machine(at, b)?),
                0x203 | 0x8001_ABCD => tables::fdlist(at, false, b, &mut tb.fds)?,
                0x218 => tables::fdlist(at, true, b, &mut tb.fds)?,
                0x205 | 0x8011_ABCD => tables::iflist(at, false, b, &mut tb.interfaces)?,
                0x219 => tables::iflist(at, true, b, &mut tb.interfaces)?,
                0x206 | 0x8012_ABCD => {
                    tables::userlist(at, false, b, &mut tb.users, &mut tb.groups)?
                }
                0x220 => tables::userlist(at, true, b, &mut tb.users, &mut tb.groups)?,
                t => match tables::proclist_version(t) {
                    Some(v) => tables::proclist(at, v, b, &mut tb.threads)?,
                    None => self.stats.unknown_blocks += 1,
                },
            }
        }
        self.tables_due = true;
        Ok(())
    }

    /// The next item: a section's tables (first, and again at each later section), then its
    /// events; `None` at the end. After an error the reader yields `None`: the events before
    /// the bad block were delivered.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Item<'_>>, ScapError> {
        if self.failed {
            return Ok(None);
        }
        match self.next_inner() {
            Ok(true) if self.tables_due => {
                self.tables_due = false;
                Ok(Some(Item::Tables(&self.tables)))
            }
            Ok(true) => {
                let (t, off) = self.cur;
                Ok(Some(Item::Event(Event::from_parts(
                    t,
                    off,
                    &self.buf,
                    &self.spans,
                    self.evh,
                ))))
            }
            Ok(false) => Ok(None),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    fn next_inner(&mut self) -> Result<bool, ScapError> {
        if self.tables_due {
            return Ok(true);
        }
        loop {
            let Some((t, l, o)) = self.block_header()? else {
                return Ok(false);
            };
            if t == SHB {
                self.section(l, o)?;
                return Ok(true);
            }
            let Some(kind) = ev_block(t) else {
                // After the tables only events are expected; like libscap's reader of the
                // table phase, skip what is not understood (and count it).
                self.block_body(t, l, o, false)?;
                self.stats.unknown_blocks += 1;
                continue;
            };
            let body = self.block_body(t, l, o, false)?;
            let at = At {
                block_type: t,
                offset: o,
            };
            self.evh = event::parse(
                at,
                kind,
                self.buf.get(..body).unwrap_or_default(),
                &mut self.spans,
            )?;
            self.cur = (t, o);
            self.stats.events += 1;
            return Ok(true);
        }
    }
}
