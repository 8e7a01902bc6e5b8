//! One ppm event: header, parameters, and typed access to them by name.
//!
//! Version-2 event blocks carry `ts u64, tid u64, len u32, type u16, nparams u32` (26 bytes),
//! then `nparams` lengths (`u16`, or `u32` for large-payload types), then the values.
//! Version-1 blocks lack `nparams` (22-byte header): the count is the largest one, up to this
//! table's, whose lengths add up to the event length, as libscap infers it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{At, ScapError};
use crate::file::EvBlock;
use crate::schema::{self, EventInfo};
use crate::tables::{lossy, split_nul};

/// Header fields of the current event (kept by the reader).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Header {
    cpu: u16,
    flags: u32,
    ts: u64,
    tid: u64,
    etype: u16,
    split: bool,
}

fn le<const N: usize>(b: &[u8], o: usize) -> Option<[u8; N]> {
    b.get(o..o.checked_add(N)?).and_then(|s| s.try_into().ok())
}

/// Parses the event in a block body; fills `spans` with absolute parameter ranges in `body`.
pub(crate) fn parse(
    at: At,
    kind: EvBlock,
    body: &[u8],
    spans: &mut Vec<(usize, usize)>,
) -> Result<Header, ScapError> {
    spans.clear();
    let (v2, has_flags) = match kind {
        EvBlock::V1 { flags } => (false, flags),
        EvBlock::V2 { flags } => (true, flags),
    };
    let bad = |what: String| ScapError::corrupt(at, what);
    let cpu = le::<2>(body, 0).map(u16::from_le_bytes).unwrap_or(0);
    let (flags, start) = if has_flags {
        (le::<4>(body, 2).map(u32::from_le_bytes).unwrap_or(0), 6)
    } else {
        (0, 2)
    };
    let hdr_len = if v2 { 26 } else { 22 };
    let avail = body.len().saturating_sub(start);
    if avail < hdr_len {
        return Err(bad(format!(
            "event header needs {hdr_len} bytes, the block holds {avail}"
        )));
    }
    let u64at = |o| {
        le::<8>(body, start + o)
            .map(u64::from_le_bytes)
            .unwrap_or(0)
    };
    let ts = u64at(0);
    let tid = u64at(8);
    let len = le::<4>(body, start + 16)
        .map(u32::from_le_bytes)
        .unwrap_or(0) as usize;
    let etype = le::<2>(body, start + 18 + 2)
        .map(u16::from_le_bytes)
        .unwrap_or(0);
    if len < hdr_len || len > avail {
        return Err(bad(format!(
            "event length {len} is outside {hdr_len}..={avail} (the header and the block)"
        )));
    }
    let ev = body.get(start..start + len).unwrap_or_default();
    let mut h = Header {
        cpu,
        flags,
        ts,
        tid,
        etype,
        split: false,
    };
    if v2 {
        let nparams = le::<4>(ev, 22).map(u32::from_le_bytes).unwrap_or(0) as usize;
        let lsize = if schema::is_large(etype) { 4 } else { 2 };
        let mut off = nparams
            .checked_mul(lsize)
            .and_then(|n| n.checked_add(26))
            .filter(|&o| o <= len)
            .ok_or_else(|| {
                bad(format!(
                    "event type {etype}: {nparams} parameters do not fit in its length {len}"
                ))
            })?;
        for i in 0..nparams {
            let p = 26 + i * lsize;
            let l = if lsize == 4 {
                le::<4>(ev, p).map(u32::from_le_bytes).unwrap_or(0) as usize
            } else {
                le::<2>(ev, p).map(u16::from_le_bytes).unwrap_or(0) as usize
            };
            let end = off.checked_add(l).filter(|&e| e <= len).ok_or_else(|| {
                bad(format!(
                    "event type {etype}: parameter {i} ({l} bytes at {off}) runs past its length {len}"
                ))
            })?;
            spans.push((start + off, start + end));
            off = end;
        }
        h.split = true;
    } else if let Some(info) = schema::info(etype) {
        // Infer the count: the largest n whose lengths end exactly at the event's end.
        let lens = |n: usize| -> Option<usize> {
            let mut total = 22usize.checked_add(n * 2)?;
            for i in 0..n {
                total =
                    total.checked_add(le::<2>(ev, 22 + 2 * i).map(u16::from_le_bytes)? as usize)?;
            }
            Some(total)
        };
        let n = (0..=info.params.len())
            .rev()
            .find(|&n| lens(n) == Some(len))
            .ok_or_else(|| {
                bad(format!(
                    "event type {etype} ({}): no parameter count up to {} matches its length {len}",
                    info.name,
                    info.params.len()
                ))
            })?;
        let mut off = 22 + n * 2;
        for i in 0..n {
            let l = le::<2>(ev, 22 + 2 * i).map(u16::from_le_bytes).unwrap_or(0) as usize;
            spans.push((start + off, start + off + l));
            off += l;
        }
        h.split = true;
    }
    Ok(h)
}

/// One event, borrowing the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    /// Block type it came in.
    pub block_type: u32,
    /// Byte offset of its block in the decompressed stream.
    pub offset: u64,
    /// CPU.
    pub cpu: u16,
    /// Block flags (event-with-flags blocks), 0 otherwise.
    pub flags: u32,
    /// Timestamp, ns since the epoch.
    pub ts: u64,
    /// Thread id.
    pub tid: u64,
    /// ppm event id.
    pub etype: u16,
    body: &'a [u8],
    spans: &'a [(usize, usize)],
    split: bool,
}

/// A socket address parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockAddr {
    /// IPv4 or IPv6 address and port.
    Ip(IpAddr, u16),
    /// Unix socket path.
    Unix(String),
    /// Another family (its code).
    Other(u8),
}

/// A socket tuple parameter (the client is the source for accepted sockets too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SockTuple {
    /// IPv4 or IPv6: source and destination.
    Ip {
        /// Source.
        src: (IpAddr, u16),
        /// Destination.
        dst: (IpAddr, u16),
    },
    /// Unix: kernel addresses of both ends and the path.
    Unix {
        /// Source end.
        src: u64,
        /// Destination end.
        dst: u64,
        /// Path.
        path: String,
    },
    /// Another family.
    Other(u8),
}

impl<'a> Event<'a> {
    pub(crate) fn from_parts(
        block_type: u32,
        offset: u64,
        body: &'a [u8],
        spans: &'a [(usize, usize)],
        h: Header,
    ) -> Self {
        Event {
            block_type,
            offset,
            cpu: h.cpu,
            flags: h.flags,
            ts: h.ts,
            tid: h.tid,
            etype: h.etype,
            body,
            spans,
            split: h.split,
        }
    }

    /// quell's table entry for the type, `None` when not decoded.
    pub fn info(&self) -> Option<&'static EventInfo> {
        schema::info(self.etype)
    }

    /// Number of parameters (0 when they could not be split: an unknown type in a
    /// version-1 block).
    pub fn nparams(&self) -> usize {
        if self.split {
            self.spans.len()
        } else {
            0
        }
    }

    /// Raw bytes of parameter `i`.
    pub fn raw(&self, i: usize) -> Option<&'a [u8]> {
        let &(s, e) = self.spans.get(i)?;
        self.body.get(s..e)
    }

    /// Raw bytes of the named parameter; `None` when the type is not decoded, the writer
    /// predates the parameter, or it is empty.
    pub fn param(&self, name: &str) -> Option<&'a [u8]> {
        let i = self.info()?.params.iter().position(|p| *p == name)?;
        self.raw(i).filter(|b| !b.is_empty())
    }

    /// A signed integer parameter (1, 2, 4 or 8 bytes, sign-extended).
    pub fn int(&self, name: &str) -> Option<i64> {
        self.param(name).and_then(dec_int)
    }

    /// An unsigned integer parameter (1, 2, 4 or 8 bytes).
    pub fn uint(&self, name: &str) -> Option<u64> {
        self.param(name).and_then(dec_uint)
    }

    /// A string parameter (NUL terminator dropped, invalid UTF-8 replaced).
    pub fn text(&self, name: &str) -> Option<String> {
        self.param(name).map(lossy)
    }

    /// A NUL-separated list parameter (argv, env, cgroups).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.param(name).map(split_nul).unwrap_or_default()
    }

    /// A socket address parameter.
    pub fn sockaddr(&self, name: &str) -> Option<SockAddr> {
        self.param(name).and_then(dec_sockaddr)
    }

    /// A socket tuple parameter.
    pub fn tuple(&self, name: &str) -> Option<SockTuple> {
        self.param(name).and_then(dec_tuple)
    }
}

/// A signed integer of 1, 2, 4 or 8 bytes, sign-extended.
pub fn dec_int(b: &[u8]) -> Option<i64> {
    Some(match b.len() {
        1 => i64::from(i8::from_le_bytes(b.try_into().ok()?)),
        2 => i64::from(i16::from_le_bytes(b.try_into().ok()?)),
        4 => i64::from(i32::from_le_bytes(b.try_into().ok()?)),
        8 => i64::from_le_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

/// An unsigned integer of 1, 2, 4 or 8 bytes.
pub fn dec_uint(b: &[u8]) -> Option<u64> {
    Some(match b.len() {
        1 => u64::from(u8::from_le_bytes(b.try_into().ok()?)),
        2 => u64::from(u16::from_le_bytes(b.try_into().ok()?)),
        4 => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
        8 => u64::from_le_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

/// A socket address: `u8` family, then IPv4 `u32` address (network order) and `u16` port,
/// IPv6 16-byte address and port, or a unix path.
pub fn dec_sockaddr(b: &[u8]) -> Option<SockAddr> {
    let (&fam, rest) = b.split_first()?;
    Some(match fam {
        2 => {
            let ip: [u8; 4] = rest.get(0..4)?.try_into().ok()?;
            let port = u16::from_le_bytes(rest.get(4..6)?.try_into().ok()?);
            SockAddr::Ip(IpAddr::V4(Ipv4Addr::from(ip)), port)
        }
        10 => {
            let ip: [u8; 16] = rest.get(0..16)?.try_into().ok()?;
            let port = u16::from_le_bytes(rest.get(16..18)?.try_into().ok()?);
            SockAddr::Ip(IpAddr::V6(Ipv6Addr::from(ip)), port)
        }
        1 => SockAddr::Unix(lossy(rest)),
        f => SockAddr::Other(f),
    })
}

/// A socket tuple: `u8` family, then source and destination (address, port), or for unix
/// sockets both kernel addresses and the path.
pub fn dec_tuple(b: &[u8]) -> Option<SockTuple> {
    let (&fam, r) = b.split_first()?;
    let u16at =
        |o: usize| -> Option<u16> { Some(u16::from_le_bytes(r.get(o..o + 2)?.try_into().ok()?)) };
    Some(match fam {
        2 => {
            let s: [u8; 4] = r.get(0..4)?.try_into().ok()?;
            let d: [u8; 4] = r.get(6..10)?.try_into().ok()?;
            SockTuple::Ip {
                src: (IpAddr::V4(s.into()), u16at(4)?),
                dst: (IpAddr::V4(d.into()), u16at(10)?),
            }
        }
        10 => {
            let s: [u8; 16] = r.get(0..16)?.try_into().ok()?;
            let d: [u8; 16] = r.get(18..34)?.try_into().ok()?;
            SockTuple::Ip {
                src: (IpAddr::V6(s.into()), u16at(16)?),
                dst: (IpAddr::V6(d.into()), u16at(34)?),
            }
        }
        1 => SockTuple::Unix {
            src: u64::from_le_bytes(r.get(0..8)?.try_into().ok()?),
            dst: u64::from_le_bytes(r.get(8..16)?.try_into().ok()?),
            path: lossy(r.get(16..)?),
        },
        f => SockTuple::Other(f),
    })
}
