//! The spool: a bounded queue of records on disk, delivered in order and acknowledged.
//!
//! Records (one alert each, as the bytes the sender will put on the wire) are appended to
//! segment files `seg-<offset>` in the spool's directory; `<offset>` (20 decimal digits) is
//! the logical position of the segment's first byte in the stream of everything ever
//! appended, so positions only grow, across restarts too. Each record is framed as
//! `[length: u32 LE][crc32 of the payload: u32 LE][payload]`. The position up to which the
//! server has acknowledged the records is kept in the file `ack` (written to a temporary
//! file, synced and renamed over it), and segments wholly before it are deleted.
//!
//! - **Order, once**: [`Spool::read_batch`] always starts at the acknowledged position, and
//!   [`Spool::ack`] only moves it forward: a batch is read again (the same records, the same
//!   bytes) until it is acknowledged, and never after.
//! - **Durability**: [`Spool::append`] writes; [`Spool::sync`] makes what was appended
//!   durable (`fdatasync`), and the caller decides how often (the sensor syncs after each
//!   round of the capture loop). On [`Spool::open`] every segment is read back and a torn
//!   or corrupt tail (a crash in the middle of a write) is cut off.
//! - **Bounded**: the segments on disk never hold more than `max_bytes` (plus one record's
//!   framing). When an append would pass it, the **oldest** segment is deleted, delivered
//!   or not, and its undelivered records are counted in [`SpoolStats::dropped`]: the newest
//!   alerts are the ones kept. A record larger than a segment is refused (counted too).

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes of framing before each record's payload.
pub const FRAME_BYTES: u64 = 8;

/// The smallest spool accepted (`max_bytes`).
pub const MIN_SPOOL_BYTES: u64 = 64 << 10;

/// Why the spool failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A file of the spool could not be read or written.
    #[error("spool {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The configuration is unusable.
    #[error("spool: {0}")]
    Config(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One segment file: where it starts and how many valid bytes and records it holds.
#[derive(Clone, Debug)]
struct Segment {
    start: u64,
    len: u64,
    records: u64,
}

impl Segment {
    fn end(&self) -> u64 {
        self.start + self.len
    }
}

/// Counters of a spool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpoolStats {
    /// Records appended and not yet acknowledged (nor dropped).
    pub pending: u64,
    /// Bytes of the segments on disk.
    pub bytes: u64,
    /// Records lost since the spool was opened: undelivered records of segments deleted to
    /// keep the spool within its size, records too large for a segment, corrupt records.
    pub dropped: u64,
}

/// Records read for delivery: the acknowledged position they start at, the position to
/// acknowledge once they are delivered, and their payloads in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Where the batch starts (the acknowledged position when it was read).
    pub start: u64,
    /// The position after its last record: what [`Spool::ack`] takes.
    pub end: u64,
    /// The records' payloads, oldest first.
    pub records: Vec<Vec<u8>>,
}

/// A spool directory, opened by one process at a time.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    segments: VecDeque<Segment>,
    /// The last segment, open for appending (`None` until the first append after open or a roll).
    head: Option<File>,
    acked: u64,
    pending: u64,
    dropped: u64,
    dirty: bool,
}

fn segment_name(start: u64) -> String {
    format!("seg-{start:020}")
}

fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("seg-")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Reads the valid records of `bytes` (a segment's contents): the length of the valid
/// prefix and how many records it holds.
fn scan(bytes: &[u8]) -> (u64, u64) {
    let mut at = 0usize;
    let mut n = 0u64;
    while let Some(payload) = frame_at(bytes, at) {
        at += FRAME_BYTES as usize + payload.len();
        n += 1;
    }
    (at as u64, n)
}

/// The payload of the record framed at `at`, if it is whole and its checksum matches.
fn frame_at(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let head = bytes.get(at..at.checked_add(FRAME_BYTES as usize)?)?;
    let len = u32::from_le_bytes(head[0..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(head[4..8].try_into().ok()?);
    let from = at + FRAME_BYTES as usize;
    let payload = bytes.get(from..from.checked_add(len)?)?;
    (crc32fast::hash(payload) == crc).then_some(payload)
}

fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

impl Spool {
    /// Opens (creating it if needed) the spool in `dir`, holding at most `max_bytes` of
    /// segments (at least [`MIN_SPOOL_BYTES`]). Reads every segment back: a corrupt or
    /// torn tail of the last one (a crash mid-write) is cut off; what is left unacknowledged
    /// is delivered first.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Spool, SpoolError> {
        if max_bytes < MIN_SPOOL_BYTES {
            return Err(SpoolError::Config(format!(
                "the spool's size must be at least {MIN_SPOOL_BYTES} bytes"
            )));
        }
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        // Eight segments: dropping the oldest frees an eighth of the spool at a time.
        let segment_bytes = (max_bytes / 8).clamp(8 << 10, 64 << 20);
        let ack_path = dir.join("ack");
        let mut acked = match fs::read_to_string(&ack_path) {
            Ok(t) => t.trim().parse::<u64>().unwrap_or(0),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io_err(&ack_path)(e)),
        };
        let mut starts = Vec::new();
        for entry in fs::read_dir(dir).map_err(io_err(dir))? {
            let entry = entry.map_err(io_err(dir))?;
            if let Some(start) = entry.file_name().to_str().and_then(parse_segment_name) {
                starts.push(start);
            }
        }
        starts.sort_unstable();
        let mut segments = VecDeque::new();
        let mut pending = 0u64;
        let count = starts.len();
        for (i, start) in starts.into_iter().enumerate() {
            let path = dir.join(segment_name(start));
            let bytes = fs::read(&path).map_err(io_err(&path))?;
            let (len, records) = scan(&bytes);
            if i + 1 == count && len < bytes.len() as u64 {
                // A torn tail: cut it so the next append follows the last whole record.
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io_err(&path))?;
                f.set_len(len).map_err(io_err(&path))?;
                f.sync_all().map_err(io_err(&path))?;
            }
            // Records at or after the acknowledged position are pending.
            if start + len > acked {
                pending += if start >= acked {
                    records
                } else {
                    count_from(&bytes[..len as usize], (acked - start) as usize)
                };
            }
            segments.push_back(Segment {
                start,
                len,
                records,
            });
        }
        // Segments overlapping one another cannot come from this code; keep the spool
        // usable: the acknowledged position is clamped into what exists.
        if let Some(first) = segments.front() {
            acked = acked.max(first.start);
        }
        if let Some(last) = segments.back() {
            acked = acked.min(last.end());
        }
        let mut spool = Spool {
            dir: dir.to_path_buf(),
            max_bytes,
            segment_bytes,
            segments,
            head: None,
            acked,
            pending,
            dropped: 0,
            dirty: false,
        };
        spool.delete_acked()?;
        Ok(spool)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The position after the last record appended.
    fn end(&self) -> u64 {
        self.segments.back().map_or(self.acked, Segment::end)
    }

    fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.len).sum()
    }

    /// Counters.
    pub fn stats(&self) -> SpoolStats {
        SpoolStats {
            pending: self.pending,
            bytes: self.bytes(),
            dropped: self.dropped,
        }
    }

    /// The acknowledged position.
    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// Appends one record (not yet durable: see [`Spool::sync`]). When the spool would pass
    /// its size, the oldest segment is deleted first and its undelivered records counted as
    /// dropped; a record larger than a segment is refused and counted as dropped. Returns
    /// whether the record was kept.
    pub fn append(&mut self, payload: &[u8]) -> Result<bool, SpoolError> {
        let size = FRAME_BYTES + payload.len() as u64;
        if size > self.segment_bytes || u32::try_from(payload.len()).is_err() {
            self.dropped += 1;
            return Ok(false);
        }
        let roll = match self.segments.back() {
            None => true,
            Some(s) => s.len + size > self.segment_bytes,
        };
        if roll {
            self.roll()?;
        }
        // Keep within the size: delete the oldest segments (never the one being written).
        while self.bytes() + size > self.max_bytes && self.segments.len() > 1 {
            self.drop_oldest()?;
        }
        let seg = self.segments.back_mut().expect("roll made a segment");
        let path = self.dir.join(segment_name(seg.start));
        let head = match &mut self.head {
            Some(f) => f,
            None => {
                let f = OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .map_err(io_err(&path))?;
                self.head.insert(f)
            }
        };
        let mut frame = Vec::with_capacity(size as usize);
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        frame.extend_from_slice(payload);
        if let Err(e) = head.write_all(&frame) {
            // A partial write would leave a torn record in the middle of the segment: cut
            // the file back to its last whole record before reporting.
            let _ = head.set_len(seg.len);
            return Err(io_err(&path)(e));
        }
        seg.len += size;
        seg.records += 1;
        self.pending += 1;
        self.dirty = true;
        Ok(true)
    }

    /// Makes every record appended so far durable.
    pub fn sync(&mut self) -> Result<(), SpoolError> {
        if !self.dirty {
            return Ok(());
        }
        if let (Some(f), Some(seg)) = (&self.head, self.segments.back()) {
            f.sync_data()
                .map_err(io_err(&self.dir.join(segment_name(seg.start))))?;
        }
        self.dirty = false;
        Ok(())
    }

    /// Starts a new segment at the current end (syncing and closing the previous one).
    fn roll(&mut self) -> Result<(), SpoolError> {
        self.sync()?;
        self.head = None;
        let start = self.end();
        let path = self.dir.join(segment_name(start));
        let f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(io_err(&path))?;
        f.sync_all().map_err(io_err(&path))?;
        sync_dir(&self.dir)?;
        self.head = Some(
            OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(io_err(&path))?,
        );
        self.segments.push_back(Segment {
            start,
            len: 0,
            records: 0,
        });
        Ok(())
    }

    /// Deletes the oldest segment, counting its undelivered records as dropped.
    fn drop_oldest(&mut self) -> Result<(), SpoolError> {
        let Some(seg) = self.segments.front().cloned() else {
            return Ok(());
        };
        let undelivered = if self.acked <= seg.start {
            seg.records
        } else if self.acked >= seg.end() {
            0
        } else {
            let path = self.dir.join(segment_name(seg.start));
            let bytes = fs::read(&path).map_err(io_err(&path))?;
            let valid = &bytes[..(seg.len as usize).min(bytes.len())];
            count_from(valid, (self.acked - seg.start) as usize)
        };
        self.dropped += undelivered;
        self.pending -= undelivered.min(self.pending);
        if self.acked < seg.end() {
            self.write_ack(seg.end())?;
        }
        self.segments.pop_front();
        let path = self.dir.join(segment_name(seg.start));
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// The records from the acknowledged position on: at most `max_records`, and at most
    /// `max_bytes` of payload unless the first record alone is larger, never across a
    /// segment's end. `None` when everything is acknowledged. Until [`Spool::ack`] moves the
    /// position, the same call reads the same records.
    pub fn read_batch(
        &mut self,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Option<Batch>, SpoolError> {
        loop {
            let Some(seg) = self.segments.iter().find(|s| s.end() > self.acked).cloned() else {
                return Ok(None);
            };
            let from = self.acked.max(seg.start);
            let path = self.dir.join(segment_name(seg.start));
            let mut f = File::open(&path).map_err(io_err(&path))?;
            f.seek(SeekFrom::Start(from - seg.start))
                .map_err(io_err(&path))?;
            let mut records = Vec::new();
            let mut at = from;
            let mut size = 0usize;
            let mut corrupt = false;
            while at < seg.end() && records.len() < max_records.max(1) {
                let mut head = [0u8; FRAME_BYTES as usize];
                if f.read_exact(&mut head).is_err() {
                    corrupt = true;
                    break;
                }
                let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as u64;
                let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
                if at + FRAME_BYTES + len > seg.end() {
                    corrupt = true;
                    break;
                }
                if !records.is_empty() && size + len as usize > max_bytes {
                    break;
                }
                let mut payload = vec![0u8; len as usize];
                if f.read_exact(&mut payload).is_err() || crc32fast::hash(&payload) != crc {
                    corrupt = true;
                    break;
                }
                size += payload.len();
                at += FRAME_BYTES + len;
                records.push(payload);
            }
            if !records.is_empty() {
                return Ok(Some(Batch {
                    start: from,
                    end: at,
                    records,
                }));
            }
            if corrupt {
                // The file changed under the spool since it was read at open: what follows
                // in this segment cannot be framed. Skip it, counted as one dropped record.
                self.dropped += 1;
                self.pending = self.pending.saturating_sub(1);
                self.ack_to(seg.end())?;
                continue;
            }
            return Ok(None);
        }
    }

    /// Acknowledges `batch` (delivered): its records are never read again. A batch whose
    /// records were dropped meanwhile (the spool was full) changes nothing.
    pub fn ack(&mut self, batch: &Batch) -> Result<(), SpoolError> {
        if batch.end <= self.acked || batch.start < self.acked {
            return Ok(());
        }
        self.pending -= (batch.records.len() as u64).min(self.pending);
        self.ack_to(batch.end)
    }

    fn ack_to(&mut self, to: u64) -> Result<(), SpoolError> {
        self.write_ack(to)?;
        self.delete_acked()
    }

    fn write_ack(&mut self, to: u64) -> Result<(), SpoolError> {
        let tmp = self.dir.join("ack.tmp");
        let path = self.dir.join("ack");
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(format!("{to}\n").as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(io_err(&tmp))?;
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        sync_dir(&self.dir)?;
        self.acked = to;
        Ok(())
    }

    /// Deletes the segments wholly acknowledged, but the last (appends continue there).
    fn delete_acked(&mut self) -> Result<(), SpoolError> {
        while self.segments.len() > 1 && self.segments[0].end() <= self.acked {
            let seg = self.segments.pop_front().expect("checked");
            let path = self.dir.join(segment_name(seg.start));
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        Ok(())
    }
}

/// How many whole records `bytes` (a segment's valid prefix) holds from offset `from` on.
fn count_from(bytes: &[u8], from: usize) -> u64 {
    // Records are found by walking from the segment's start: `from` is a record boundary
    // (an acknowledged position); count those at or after it.
    let mut at = 0usize;
    let mut n = 0u64;
    while let Some(payload) = frame_at(bytes, at) {
        if at >= from {
            n += 1;
        }
        at += FRAME_BYTES as usize + payload.len();
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(spool: &mut Spool) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(b) = spool.read_batch(7, 1 << 20).unwrap() {
            out.extend(b.records.iter().cloned());
            spool.ack(&b).unwrap();
        }
        out
    }

    #[test]
    fn order_kept_and_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), MIN_SPOOL_BYTES).unwrap();
        let recs: Vec<Vec<u8>> = (0..100)
            .map(|i| format!("alert {i}").into_bytes())
            .collect();
        for r in &recs {
            assert!(s.append(r).unwrap());
        }
        assert_eq!(s.stats().pending, 100);
        // Unacknowledged reads give the same batch.
        let b1 = s.read_batch(10, 1 << 20).unwrap().unwrap();
        let b2 = s.read_batch(10, 1 << 20).unwrap().unwrap();
        assert_eq!(b1, b2);
        assert_eq!(b1.records, recs[..10].to_vec());
        let got = all(&mut s);
        assert_eq!(got, recs);
        assert_eq!(s.stats().pending, 0);
        assert!(s.read_batch(10, 1 << 20).unwrap().is_none());
    }

    #[test]
    fn survives_reopen_with_the_acknowledged_position() {
        let dir = tempfile::tempdir().unwrap();
        let recs: Vec<Vec<u8>> = (0..50).map(|i| vec![b'x'; 100 + i]).collect();
        {
            let mut s = Spool::open(dir.path(), MIN_SPOOL_BYTES).unwrap();
            for r in &recs {
                s.append(r).unwrap();
            }
            s.sync().unwrap();
            let b = s.read_batch(20, 1 << 20).unwrap().unwrap();
            s.ack(&b).unwrap();
        }
        let mut s = Spool::open(dir.path(), MIN_SPOOL_BYTES).unwrap();
        assert_eq!(s.stats().pending, 30);
        // Appends after reopen follow the old records.
        s.append(b"after").unwrap();
        let mut want = recs[20..].to_vec();
        want.push(b"after".to_vec());
        assert_eq!(all(&mut s), want);
    }

    #[test]
    fn a_torn_tail_is_cut_and_appends_continue() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = Spool::open(dir.path(), MIN_SPOOL_BYTES).unwrap();
            s.append(b"one").unwrap();
            s.append(b"two").unwrap();
            s.sync().unwrap();
        }
        let seg = dir.path().join(segment_name(0));
        let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
        // Half a frame: a crash in the middle of a write.
        f.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        drop(f);
        let mut s = Spool::open(dir.path(), MIN_SPOOL_BYTES).unwrap();
        assert_eq!(s.stats().pending, 2);
        s.append(b"three").unwrap();
        assert_eq!(
            all(&mut s),
            vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
    }

    #[test]
    fn full_spool_drops_the_oldest_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), MIN_SPOOL_BYTES).unwrap();
        let n = 2000u64;
        for i in 0..n {
            s.append(format!("{i:0>100}").as_bytes()).unwrap();
            assert!(s.stats().bytes <= MIN_SPOOL_BYTES, "{:?}", s.stats());
        }
        let st = s.stats();
        assert!(st.dropped > 0);
        assert_eq!(st.dropped + st.pending, n);
        let got = all(&mut s);
        assert_eq!(got.len() as u64, st.pending);
        // What is kept is the newest, in order.
        let first: u64 = String::from_utf8(got[0].clone()).unwrap().parse().unwrap();
        for (k, r) in got.iter().enumerate() {
            let v: u64 = String::from_utf8(r.clone()).unwrap().parse().unwrap();
            assert_eq!(v, first + k as u64);
        }
        assert_eq!(first + got.len() as u64, n);
    }

    #[test]
    fn a_record_larger_than_a_segment_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), MIN_SPOOL_BYTES).unwrap();
        assert!(!s.append(&vec![0u8; MIN_SPOOL_BYTES as usize]).unwrap());
        assert_eq!(s.stats().dropped, 1);
        assert_eq!(s.stats().pending, 0);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Append(usize),
        Read(usize),
        Ack,
        Reopen,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (1usize..3000).prop_map(Op::Append),
            2 => (1usize..40).prop_map(Op::Read),
            2 => Just(Op::Ack),
            1 => Just(Op::Reopen),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Any interleaving of appends, reads, acknowledgements and reopenings delivers
        /// the records in the order appended, none twice; what is not delivered is exactly
        /// what was dropped (the oldest); the spool never exceeds its size.
        #[test]
        fn delivered_in_order_once_and_bounded(ops in proptest::collection::vec(op(), 1..200)) {
            let dir = tempfile::tempdir().unwrap();
            let max = MIN_SPOOL_BYTES;
            let mut s = Spool::open(dir.path(), max).unwrap();
            let mut next = 0u64;
            let mut delivered: Vec<u64> = Vec::new();
            let mut dropped_before = 0u64;
            let mut held: Option<Batch> = None;
            for o in ops {
                match o {
                    Op::Append(len) => {
                        let mut p = next.to_le_bytes().to_vec();
                        p.resize(len.max(8), b'.');
                        s.append(&p).unwrap();
                        next += 1;
                    }
                    Op::Read(n) => held = s.read_batch(n, 8 << 10).unwrap(),
                    Op::Ack => {
                        if let Some(b) = held.take() {
                            let before = s.acked();
                            s.ack(&b).unwrap();
                            if b.start == before {
                                delivered.extend(b.records.iter().map(|r| {
                                    u64::from_le_bytes(r[..8].try_into().unwrap())
                                }));
                            }
                        }
                    }
                    Op::Reopen => {
                        s.sync().unwrap();
                        dropped_before += s.stats().dropped;
                        drop(s);
                        s = Spool::open(dir.path(), max).unwrap();
                        held = None;
                    }
                }
                prop_assert!(s.stats().bytes <= max);
            }
            // Deliver the rest.
            while let Some(b) = s.read_batch(50, 1 << 20).unwrap() {
                delivered.extend(b.records.iter().map(|r| u64::from_le_bytes(r[..8].try_into().unwrap())));
                s.ack(&b).unwrap();
            }
            for w in delivered.windows(2) {
                prop_assert!(w[0] < w[1], "out of order or twice: {:?}", w);
            }
            let dropped = dropped_before + s.stats().dropped;
            prop_assert_eq!(delivered.len() as u64 + dropped, next);
            prop_assert_eq!(s.stats().pending, 0);
        }
    }
}
