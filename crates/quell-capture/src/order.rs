//! Ordering records across the per-CPU ring buffers.
//!
//! Each CPU's ring is in time order, but one read of all rings can miss a
//! record another CPU wrote (with an earlier time) just after its ring was
//! read: it arrives with the next read, after later records were applied. So
//! records are held back until they are older than a bounded window
//! ([`WINDOW_NS`]) on the boot clock, and released in time order; records
//! that arrive later than the window still go out, as early as possible.

/// How long a record is held back for records of other CPUs to arrive (ns):
/// far more than the gap between a record's time stamp and its write into
/// the ring, and small next to the alert delay anyone notices.
pub const WINDOW_NS: u64 = 20_000_000;

/// Records waiting to be released in time order, back to back in one arena.
#[derive(Default)]
pub struct Reorder {
    bytes: Vec<u8>,
    /// (time, start, length) of each held record.
    spans: Vec<(u64, usize, usize)>,
}

impl Reorder {
    /// Holds a record (its time is the header's first 8 bytes, little-endian;
    /// a record too short for it sorts first and fails to decode later).
    pub fn push(&mut self, rec: &[u8]) {
        let ts = rec
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .unwrap_or(0);
        let start = self.bytes.len();
        self.bytes.extend_from_slice(rec);
        self.spans.push((ts, start, rec.len()));
    }

    /// Number of records held.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Moves the records with a time at or before `cutoff` into `out` (its
    /// bytes and spans cleared first), oldest first; the rest stay held.
    /// Records of equal time keep their arrival order.
    pub fn release(&mut self, cutoff: u64, out: &mut Released) {
        out.bytes.clear();
        out.spans.clear();
        self.spans.sort_by_key(|s| s.0);
        let n = self.spans.partition_point(|s| s.0 <= cutoff);
        if n == 0 {
            return;
        }
        for &(_, start, len) in &self.spans[..n] {
            let at = out.bytes.len();
            out.bytes.extend_from_slice(&self.bytes[start..start + len]);
            out.spans.push((at, len));
        }
        // keep the rest, compacted
        let mut kept = Vec::with_capacity(self.bytes.len());
        let rest: Vec<(u64, usize, usize)> = self.spans[n..]
            .iter()
            .map(|&(ts, start, len)| {
                let at = kept.len();
                kept.extend_from_slice(&self.bytes[start..start + len]);
                (ts, at, len)
            })
            .collect();
        self.bytes = kept;
        self.spans = rest;
    }
}

/// Records released in time order: `spans` are (start, length) in `bytes`.
#[derive(Default)]
pub struct Released {
    /// The records, back to back.
    pub bytes: Vec<u8>,
    /// (start, length) of each, oldest first.
    pub spans: Vec<(usize, usize)>,
}

impl Released {
    /// The records, oldest first.
    pub fn records(&self) -> impl Iterator<Item = &[u8]> {
        self.spans.iter().map(|&(s, l)| &self.bytes[s..s + l])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ts: u64, tag: u8) -> Vec<u8> {
        let mut r = ts.to_le_bytes().to_vec();
        r.push(tag);
        r
    }

    fn tags(out: &Released) -> Vec<u8> {
        out.records().map(|r| r[8]).collect()
    }

    /// A record of another CPU that arrives with a later read, but within
    /// the window, is released before the later records of the first read.
    #[test]
    fn a_late_record_within_the_window_goes_out_in_time_order() {
        let mut q = Reorder::default();
        let mut out = Released::default();
        // first read: CPU 0 wrote t=10 and t=30
        q.push(&rec(10, 1));
        q.push(&rec(30, 3));
        q.release(30 - WINDOW_NS.min(30), &mut out);
        assert_eq!(tags(&out), [] as [u8; 0], "both are inside the window");
        // second read: CPU 1's t=20 arrives; time moves past the window
        q.push(&rec(20, 2));
        q.push(&rec(20, 4));
        q.release(25, &mut out);
        assert_eq!(tags(&out), [1, 2, 4]);
        assert_eq!(q.len(), 1);
        q.release(u64::MAX, &mut out);
        assert_eq!(tags(&out), [3]);
        assert!(q.is_empty());
        // a record older than everything released still goes out
        q.push(&rec(5, 9));
        q.release(25, &mut out);
        assert_eq!(tags(&out), [9]);
        // a short record sorts first
        q.push(&[1, 2]);
        q.push(&rec(1, 7));
        q.release(1, &mut out);
        assert_eq!(out.records().next(), Some(&[1u8, 2][..]));
    }
}
