//! Hostile captures: arbitrary bytes, truncations, bit flips, lying lengths. The reader must
//! never panic, must name the block and its offset, and must keep the events before it.

use std::io::Cursor;
use std::path::PathBuf;

use proptest::prelude::*;
use quell_scap::flat::FlatEvents;
use quell_scap::{Item, ScapError, ScapReader};

fn corpus_bytes(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/scap")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Reads everything; returns the events read and the error that stopped the reader, if any.
fn drain(bytes: Vec<u8>) -> (u64, Option<ScapError>) {
    let mut r = match ScapReader::new(Cursor::new(bytes)) {
        Ok(r) => r,
        Err(e) => return (0, Some(e)),
    };
    let mut n = 0;
    loop {
        match r.next() {
            Ok(Some(Item::Event(e))) => {
                n += 1;
                // Touch every accessor: decoding must be as panic-free as framing.
                for p in e.info().map(|i| i.params).unwrap_or_default() {
                    let _ = (e.int(p), e.uint(p), e.text(p), e.list(p));
                    let _ = (e.sockaddr(p), e.tuple(p));
                }
            }
            Ok(Some(Item::Tables(_))) => {}
            Ok(None) => return (n, None),
            Err(e) => return (n, Some(e)),
        }
    }
}

fn total(name: &str) -> u64 {
    let (n, err) = drain(corpus_bytes(name));
    assert!(err.is_none(), "{name}: {err:?}");
    n
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        drain(bytes);
    }

    #[test]
    fn arbitrary_blocks_after_a_valid_header_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..4096)
    ) {
        let mut b = corpus_bytes("sample.scap");
        // Keep the section header (28 bytes) and the machine info block, then garbage.
        b.truncate(28 + 0xc0);
        b.extend(tail);
        drain(b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn truncations_keep_the_events_before_the_cut(cut in 0usize..139_584) {
        let full = corpus_bytes("sample.scap");
        let all = total("sample.scap");
        let (n, err) = drain(full[..cut.min(full.len())].to_vec());
        prop_assert!(n <= all);
        if let Some(e) = err {
            // Truncation is reported at a block that starts before the cut.
            if let Some(at) = e.at() {
                prop_assert!(at.offset <= cut as u64, "{e}");
            }
        }
    }

    #[test]
    fn bit_flips_never_panic(pos in 0usize..139_584, bit in 0u8..8) {
        let mut b = corpus_bytes("sample.scap");
        if let Some(x) = b.get_mut(pos) {
            *x ^= 1 << bit;
        }
        drain(b);
    }

    #[test]
    fn gzip_truncations_and_flips_never_panic(pos in 0usize..22_296, bit in 0u8..8, cut in any::<bool>()) {
        let mut b = corpus_bytes("curl_google.scap");
        if cut {
            b.truncate(pos);
        } else if let Some(x) = b.get_mut(pos) {
            *x ^= 1 << bit;
        }
        drain(b);
    }
}

/// Flat events of hostile bytes: as many as the reader gives before its error, no panic.
fn flat(bytes: Vec<u8>) -> usize {
    let Ok(r) = ScapReader::new(Cursor::new(bytes)) else {
        return 0;
    };
    FlatEvents::new(r).take_while(Result::is_ok).count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn flat_events_of_flipped_version_1_captures_never_panic(
        flips in proptest::collection::vec((0usize..1_385_388, 0u8..8), 1..64)
    ) {
        let mut b = corpus_bytes("502Error.scap");
        for (pos, bit) in flips {
            if let Some(x) = b.get_mut(pos) {
                *x ^= 1 << bit;
            }
        }
        flat(b);
    }

    #[test]
    fn flat_events_of_flipped_version_2_captures_never_panic(
        flips in proptest::collection::vec((0usize..139_584, 0u8..8), 1..64)
    ) {
        let mut b = corpus_bytes("sample.scap");
        for (pos, bit) in flips {
            if let Some(x) = b.get_mut(pos) {
                *x ^= 1 << bit;
            }
        }
        flat(b);
    }

    #[test]
    fn flat_events_of_arbitrary_events_after_real_tables_never_panic(
        events in proptest::collection::vec(
            (0u16..460, 0u64..50, proptest::collection::vec(any::<u8>(), 0..200)),
            0..64,
        )
    ) {
        // Real tables (sample.scap up to its first event), then v2 event blocks with real
        // framing around arbitrary types, thread ids and parameter bytes.
        let mut b = corpus_bytes("sample.scap");
        b.truncate(first_event_block(&b));
        for (etype, tid, data) in events {
            let nparams = (data.len() / 8) as u32;
            let mut ev = Vec::new();
            ev.extend(1u64.to_le_bytes());
            ev.extend(tid.to_le_bytes());
            let len = 26 + 2 * nparams as usize + data.len();
            ev.extend((len as u32).to_le_bytes());
            ev.extend(etype.to_le_bytes());
            ev.extend(nparams.to_le_bytes());
            let mut left = data.len();
            for i in 0..nparams {
                let l = if i + 1 == nparams { left } else { left.min(8) };
                ev.extend((l as u16).to_le_bytes());
                left -= l;
            }
            ev.extend(&data);
            let mut body = 0u16.to_le_bytes().to_vec();
            body.extend(ev);
            while (8 + body.len() + 4) % 4 != 0 {
                body.push(0);
            }
            let total = (8 + body.len() + 4) as u32;
            b.extend(0x216u32.to_le_bytes());
            b.extend(total.to_le_bytes());
            b.extend(body);
            b.extend(total.to_le_bytes());
        }
        flat(b);
    }
}

/// Offset of the first event block of sample.scap (0x216), found by walking the framing.
fn first_event_block(b: &[u8]) -> usize {
    let mut off = 0;
    loop {
        let t = u32::from_le_bytes(b[off..off + 4].try_into().unwrap());
        if t == 0x216 {
            return off;
        }
        off += u32::from_le_bytes(b[off + 4..off + 8].try_into().unwrap()) as usize;
    }
}

#[test]
fn a_block_length_past_the_end_is_a_truncation_naming_the_block() {
    let mut b = corpus_bytes("sample.scap");
    let off = first_event_block(&b);
    // Make the 10th event block claim 1 MiB.
    let mut o = off;
    for _ in 0..9 {
        o += u32::from_le_bytes(b[o + 4..o + 8].try_into().unwrap()) as usize;
    }
    b[o + 4..o + 8].copy_from_slice(&(1u32 << 20).to_le_bytes());
    let (n, err) = drain(b);
    let err = err.expect("an error");
    assert_eq!(n, 9, "the nine events before the bad block are kept");
    assert!(matches!(err, ScapError::Truncated { .. }), "{err}");
    let at = err.at().unwrap();
    assert_eq!((at.block_type, at.offset), (0x216, o as u64));
    let msg = err.to_string();
    assert!(
        msg.contains("event block") && msg.contains(&format!("at byte {o}")),
        "{msg}"
    );
}

#[test]
fn an_event_length_that_lies_is_corrupt_and_named() {
    let mut b = corpus_bytes("sample.scap");
    let off = first_event_block(&b);
    // Event header starts after the 8-byte block header and the u16 cpu id; len at +16.
    let len_at = off + 8 + 2 + 16;
    b[len_at..len_at + 4].copy_from_slice(&60_000u32.to_le_bytes());
    let (n, err) = drain(b);
    let err = err.expect("an error");
    assert_eq!(n, 0);
    assert!(err.to_string().contains("event length 60000"), "{err}");
    assert_eq!(err.at().unwrap().offset, off as u64);
}

#[test]
fn a_parameter_length_that_lies_is_corrupt() {
    let mut b = corpus_bytes("sample.scap");
    let off = first_event_block(&b);
    // First parameter length: after the 26-byte v2 header.
    let p = off + 8 + 2 + 26;
    b[p..p + 2].copy_from_slice(&u16::MAX.to_le_bytes());
    let (_, err) = drain(b);
    let err = err.expect("an error");
    assert!(err.to_string().contains("runs past its length"), "{err}");
}

#[test]
fn a_table_entry_with_a_huge_length_is_corrupt_not_allocated() {
    let mut b = corpus_bytes("sample.scap");
    // The process list (0x215) follows the machine info, interface and user lists; its first
    // entry starts with a u32 length right after the 8-byte block header.
    let mut off = 0;
    loop {
        let t = u32::from_le_bytes(b[off..off + 4].try_into().unwrap());
        if t == 0x215 {
            break;
        }
        off += u32::from_le_bytes(b[off + 4..off + 8].try_into().unwrap()) as usize;
    }
    b[off + 8..off + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let (n, err) = drain(b);
    let err = err.expect("an error");
    assert_eq!(n, 0);
    let at = err.at().unwrap();
    assert_eq!((at.block_type, at.offset), (0x215, off as u64), "{err}");
    assert!(err.to_string().contains("process list"), "{err}");
}

#[test]
fn a_block_length_beyond_the_limit_is_refused_before_reading() {
    let mut b = corpus_bytes("sample.scap");
    let off = first_event_block(&b);
    b[off + 4..off + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let (_, err) = drain(b);
    assert!(err.unwrap().to_string().contains("block length 4294967280"));
}

#[test]
fn not_a_capture_is_said_so() {
    let (_, err) = drain(b"{\"evt.type\": \"open\"}\n".to_vec());
    assert!(matches!(err, Some(ScapError::NotScap(_))));
    let (_, err) = drain(Vec::new());
    assert!(matches!(err, Some(ScapError::NotScap(_))));
}

/// One event block: v2 (`0x216`, with the parameter count) or v1 (`0x204`, without), with
/// the event length `len_fix` adds to (0 for the true length).
fn event_block(etype: u16, tid: u64, params: &[Vec<u8>], v2: bool, len_fix: i64) -> Vec<u8> {
    let large = quell_scap::schema::is_large(etype);
    let hdr = if v2 { 26 } else { 22 };
    let lsize = if large { 4 } else { 2 };
    let data: usize = params.iter().map(Vec::len).sum();
    let len = (hdr + lsize * params.len() + data) as i64 + len_fix;
    let mut ev = Vec::new();
    ev.extend(1u64.to_le_bytes());
    ev.extend(tid.to_le_bytes());
    ev.extend((len.max(0) as u32).to_le_bytes());
    ev.extend(etype.to_le_bytes());
    if v2 {
        ev.extend((params.len() as u32).to_le_bytes());
    }
    for p in params {
        if large {
            ev.extend((p.len() as u32).to_le_bytes());
        } else {
            ev.extend((p.len() as u16).to_le_bytes());
        }
    }
    for p in params {
        ev.extend(p);
    }
    let mut body = 0u16.to_le_bytes().to_vec();
    body.extend(ev);
    while (8 + body.len() + 4) % 4 != 0 {
        body.push(0);
    }
    let total = (8 + body.len() + 4) as u32;
    let mut b = Vec::new();
    b.extend(if v2 { 0x216u32 } else { 0x204u32 }.to_le_bytes());
    b.extend(total.to_le_bytes());
    b.extend(body);
    b.extend(total.to_le_bytes());
    b
}

/// Exit types quell decodes whose enter event is the id before (the pairs the flat layer
/// joins), generic events included.
fn decoded_pairs() -> Vec<u16> {
    use quell_scap::schema::{info, Dir, EVENTS};
    EVENTS
        .iter()
        .filter(|e| e.dir == Dir::Exit && info(e.id - 1).is_some_and(|i| i.dir == Dir::Enter))
        .map(|e| e.id)
        .collect()
}

/// A parameter of hostile length: empty, truncated (1 to 7 bytes: shorter than any integer,
/// tuple or address), or longer than any real one of its kind.
fn hostile_param() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 1..8),
        proptest::collection::vec(any::<u8>(), 8..9),
        proptest::collection::vec(any::<u8>(), 9..80),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every decoded enter/exit pair (read, sendto, generic, mmap, ... as well as the older
    /// types) with parameters of hostile lengths and bytes (a 1-byte syscall code, a 3-byte
    /// tuple, an unterminated path): each exit is one flat event, named, and nothing panics.
    #[test]
    fn decoded_pairs_with_hostile_parameters_give_one_flat_event_each(
        pairs in proptest::collection::vec(
            (any::<prop::sample::Index>(), 0u64..4,
             proptest::collection::vec(hostile_param(), 0..8),
             proptest::collection::vec(hostile_param(), 0..12)),
            1..24,
        )
    ) {
        let types = decoded_pairs();
        let mut b = corpus_bytes("sample.scap");
        b.truncate(first_event_block(&b));
        for (i, tid, enter, exit) in &pairs {
            let x = types[i.index(types.len())];
            b.extend(event_block(x - 1, *tid, enter, true, 0));
            b.extend(event_block(x, *tid, exit, true, 0));
        }
        let r = ScapReader::new(Cursor::new(b)).expect("the tables read");
        let events: Vec<_> = FlatEvents::new(r).collect();
        prop_assert_eq!(events.len(), pairs.len());
        for e in events {
            let e = e.expect("well-framed events read");
            prop_assert!(e.get("evt.type").is_some());
        }
    }

    /// Version-1 blocks (no parameter count: it is inferred from the schema) of decoded
    /// types, with lengths that lie (the event length off by -8..8, parameter lengths
    /// arbitrary): an error naming the block, or events; never a panic.
    #[test]
    fn version_1_events_with_lying_lengths_never_panic(
        events in proptest::collection::vec(
            (any::<prop::sample::Index>(), any::<bool>(), 0u64..4,
             proptest::collection::vec(hostile_param(), 0..12), -8i64..8),
            1..24,
        )
    ) {
        let types = decoded_pairs();
        let mut b = corpus_bytes("sample.scap");
        b.truncate(first_event_block(&b));
        for (i, enter, tid, params, fix) in &events {
            let x = types[i.index(types.len())] - u16::from(*enter);
            b.extend(event_block(x, *tid, params, false, *fix));
        }
        let r = ScapReader::new(Cursor::new(b)).expect("the tables read");
        for e in FlatEvents::new(r) {
            if let Err(err) = e {
                prop_assert!(err.to_string().contains("event"), "{}", err);
                break;
            }
        }
    }
}
