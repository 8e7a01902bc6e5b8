//! The writer (`quell_scap::write`): what it writes reads back through `ScapReader` (tables
//! and events, property-tested), parameters out of the schema's order are refused, and
//! live records written as a capture replay to the live events' fields.

mod common;

use std::io::Cursor;
use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use quell_scap::flat::FlatEvents;
use quell_scap::schema;
use quell_scap::tables::{FdEntry, FdTarget, Group, Machine, Tables, ThreadEntry, User};
use quell_scap::write::{EventOut, Param, ScapWriter};
use quell_scap::{Item, ScapReader};

use common::txt;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/._ =:-]{0,40}"
}

fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/._=:-]{1,20}"
}

fn thread() -> impl Strategy<Value = ThreadEntry> {
    (
        (
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
        ),
        (
            text(),
            text(),
            text(),
            prop::collection::vec(word(), 0..5),
            text(),
        ),
        (any::<u64>(), any::<u32>(), any::<u32>(), any::<u32>()),
        (
            prop::collection::vec(word(), 0..4),
            any::<i64>(),
            any::<i64>(),
            prop::collection::vec(word(), 0..3),
            text(),
            any::<u32>(),
        ),
    )
        .prop_map(
            |(
                (tid, pid, ptid, sid, vpgid),
                (comm, exe, exepath, args, cwd),
                (fdlimit, flags, uid, gid),
                (env, vtid, vpid, cgroups, root, loginuid),
            )| ThreadEntry {
                tid,
                pid,
                ptid,
                sid: Some(sid),
                vpgid: Some(vpgid),
                comm,
                exe,
                exepath: Some(exepath),
                args,
                cwd,
                fdlimit,
                flags,
                uid,
                gid,
                env,
                vtid: Some(vtid),
                vpid: Some(vpid),
                cgroups,
                root: Some(root),
                pidns_init_start_ts: None,
                tty: None,
                loginuid: Some(loginuid),
                cap_effective: None,
            },
        )
}

fn target() -> impl Strategy<Value = FdTarget> {
    let v4 = || any::<u32>().prop_map(Ipv4Addr::from);
    let v6 = || any::<u128>().prop_map(Ipv6Addr::from);
    prop_oneof![
        (v4(), any::<u16>(), v4(), any::<u16>(), 0u8..5).prop_map(|(a, p, b, q, l4)| {
            FdTarget::Ipv4 {
                src: (a, p),
                dst: (b, q),
                l4,
            }
        }),
        (v4(), any::<u16>(), 0u8..5)
            .prop_map(|(a, p, l4)| FdTarget::Ipv4Server { local: (a, p), l4 }),
        (v6(), any::<u16>(), v6(), any::<u16>(), 0u8..5).prop_map(|(a, p, b, q, l4)| {
            FdTarget::Ipv6 {
                src: (a, p),
                dst: (b, q),
                l4,
            }
        }),
        (v6(), any::<u16>(), 0u8..5)
            .prop_map(|(a, p, l4)| FdTarget::Ipv6Server { local: (a, p), l4 }),
        (any::<u64>(), any::<u64>(), text()).prop_map(|(source, dest, path)| FdTarget::Unix {
            source,
            dest,
            path
        }),
        (proptest::option::of(any::<u32>()), text())
            .prop_map(|(open_flags, name)| FdTarget::File { open_flags, name }),
        (
            prop::sample::select(vec![2u8, 7, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21]),
            text()
        )
            .prop_map(|(code, name)| FdTarget::Named { code, name }),
    ]
}

fn tables() -> impl Strategy<Value = Tables> {
    (
        proptest::option::of(
            (
                any::<u32>(),
                any::<u64>(),
                any::<u64>(),
                "[a-z0-9.-]{0,60}",
                any::<u64>(),
            )
                .prop_map(
                    |(num_cpus, memory_bytes, max_pid, hostname, boot_ts_epoch)| Machine {
                        num_cpus,
                        memory_bytes,
                        max_pid,
                        hostname,
                        boot_ts_epoch,
                    },
                ),
        ),
        prop::collection::vec(thread(), 0..6),
        prop::collection::vec((0i64..4, any::<i64>(), any::<u64>(), target()), 0..12),
        prop::collection::vec((any::<u32>(), any::<u32>(), text(), text(), text()), 0..4),
        prop::collection::vec((any::<u32>(), text()), 0..4),
    )
        .prop_map(|(machine, threads, fds, users, groups)| {
            let mut fds: Vec<FdEntry> = fds
                .into_iter()
                .map(|(tid, fd, ino, target)| FdEntry {
                    tid,
                    fd,
                    ino,
                    target,
                })
                .collect();
            // the writer groups fd lists by thread, in thread order
            fds.sort_by_key(|f| f.tid);
            Tables {
                machine,
                threads,
                fds,
                users: users
                    .into_iter()
                    .map(|(uid, gid, name, home, shell)| User {
                        uid,
                        gid,
                        name,
                        home,
                        shell,
                    })
                    .collect(),
                groups: groups
                    .into_iter()
                    .map(|(gid, name)| Group { gid, name })
                    .collect(),
                ..Tables::default()
            }
        })
}

/// A parameter value of some encoding, for an event round trip.
fn param() -> impl Strategy<Value = Param<'static>> {
    prop_oneof![
        any::<i64>().prop_map(Param::I64),
        any::<u64>().prop_map(Param::U64),
        any::<i32>().prop_map(Param::I32),
        any::<u32>().prop_map(Param::U32),
        any::<u16>().prop_map(Param::U16),
        any::<u8>().prop_map(Param::U8),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Param::Bytes),
    ]
}

fn encoded(p: &Param<'_>) -> Vec<u8> {
    match p {
        Param::I64(v) => v.to_le_bytes().to_vec(),
        Param::U64(v) => v.to_le_bytes().to_vec(),
        Param::I32(v) => v.to_le_bytes().to_vec(),
        Param::U32(v) => v.to_le_bytes().to_vec(),
        Param::U16(v) => v.to_le_bytes().to_vec(),
        Param::U8(v) => vec![*v],
        Param::Str(s) => [s.as_bytes(), &[0]].concat(),
        Param::Bytes(b) => b.clone(),
    }
}

/// An event read back: time, thread, type, CPU, flags, raw parameters.
type ReadEvent = (u64, u64, u16, u16, u32, Vec<Vec<u8>>);

fn read_back(bytes: Vec<u8>) -> (Tables, Vec<ReadEvent>) {
    let mut r = ScapReader::new(Cursor::new(bytes)).expect("a capture");
    let mut tables = None;
    let mut events = Vec::new();
    while let Some(item) = r.next().expect("reads") {
        match item {
            Item::Tables(t) => tables = Some(t.clone()),
            Item::Event(e) => events.push((
                e.ts,
                e.tid,
                e.etype,
                e.cpu,
                e.flags,
                (0..e.nparams())
                    .map(|i| e.raw(i).unwrap_or_default().to_vec())
                    .collect(),
            )),
        }
    }
    (tables.unwrap_or_else(|| r.tables().clone()), events)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// Tables and events written read back as they were (the section header is the
    /// writer's own: version 1.2, no options).
    #[test]
    fn tables_and_events_round_trip(
        t in tables(),
        evs in prop::collection::vec(
            (any::<u64>(), any::<u64>(), any::<u16>(), prop::sample::select(
                schema::EVENTS.iter().filter(|e| !e.params.is_empty()).map(|e| e.id).collect::<Vec<_>>()),
             prop::collection::vec(param(), 0..8), prop::bool::ANY),
            0..20),
    ) {
        let mut w = ScapWriter::new(Vec::new()).unwrap();
        w.tables(&t).unwrap();
        let mut want = Vec::new();
        for (ts, tid, cpu, etype, params, flagged) in &evs {
            let names = schema::info(*etype).unwrap().params;
            let params: Vec<(&'static str, Param<'static>)> =
                names.iter().copied().zip(params.iter().cloned()).collect();
            let flags = if *flagged { 0x8000_0001 } else { 0 };
            w.event(&EventOut { ts: *ts, tid: *tid, cpu: *cpu, flags, etype: *etype, params: params.clone() }).unwrap();
            want.push((*ts, *tid, *etype, *cpu, flags, params.iter().map(|(_, p)| encoded(p)).collect::<Vec<_>>()));
        }
        prop_assert_eq!(w.events(), evs.len() as u64);
        let (got, events) = read_back(w.into_inner().unwrap());
        let mut expect = t.clone();
        expect.section.major = 1;
        expect.section.minor = 2;
        // fd entries of a thread without a table row keep their thread id: nothing to fix
        prop_assert_eq!(got, expect);
        prop_assert_eq!(events, want);
    }
}

#[test]
fn parameters_are_checked_against_the_schema() {
    let mut w = ScapWriter::new(Vec::new()).unwrap();
    let ev = |etype, params| EventOut {
        ts: 1,
        tid: 1,
        cpu: 0,
        flags: 0,
        etype,
        params,
    };
    // openat exit: fd first, then dirfd
    let err = w
        .event(&ev(
            307,
            vec![("dirfd", Param::I64(-100)), ("fd", Param::I64(3))],
        ))
        .unwrap_err();
    assert!(
        err.to_string().contains("parameter 0 is `fd`, not `dirfd`"),
        "{err}"
    );
    // more parameters than the table has
    let err = w
        .event(&ev(
            5,
            vec![
                ("res", Param::I64(0)),
                ("fd", Param::I64(3)),
                ("x", Param::I64(3)),
            ],
        ))
        .unwrap_err();
    assert!(err.to_string().contains("has 2 parameters, not 3"), "{err}");
    // a type quell does not know (10: an old brk layout)
    assert!(quell_scap::schema::info(10).is_none());
    assert!(w.event(&ev(10, Vec::new())).is_err());
    // a prefix is fine (older layouts), and nothing was written for the refused ones
    w.event(&ev(307, vec![("fd", Param::I64(3))])).unwrap();
    assert_eq!(w.events(), 1);
    let (_, events) = read_back(w.into_inner().unwrap());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].5, vec![3i64.to_le_bytes().to_vec()]);
}

/// The fields rules read most, as `quell run` saw them live, and as `quell replay -e`
/// reads them from the capture written from the same records.
const COMPARED: &[&str] = &[
    "evt.type",
    "evt.rawres",
    "evt.failed",
    "evt.rawtime",
    "proc.pid",
    "proc.ppid",
    "proc.name",
    "proc.exe",
    "proc.args",
    "proc.cmdline",
    "proc.pname",
    "proc.pcmdline",
    "proc.aname[2]",
    "proc.cwd",
    // not `thread.tid`: a thread's events are written under its process's id
    "user.uid",
    "user.name",
    "group.gid",
    "user.loginuid",
    "fd.num",
    "fd.name",
    "fd.typechar",
    "fd.directory",
    "fd.filename",
    "fd.sip",
    "fd.sport",
    "fd.cip",
    "fd.cport",
    "evt.is_open_read",
    "evt.is_open_write",
    "evt.arg.flags",
    "evt.arg.target",
    "evt.arg.linkpath",
    "evt.arg.oldpath",
    "evt.arg.newpath",
    "evt.arg.filename",
    "evt.arg.name",
    "evt.arg.path",
    "container.id",
];

#[test]
fn live_records_replay_to_the_live_fields() {
    let (live, bytes) = common::record_scenario();
    let replayed: Vec<_> = FlatEvents::new(ScapReader::new(Cursor::new(bytes)).unwrap())
        .collect::<Result<_, _>>()
        .unwrap();
    // process exits are events live; in a capture they are metadata (as in libsinsp)
    let live: Vec<_> = live
        .into_iter()
        .filter(|e| txt(e, "evt.type") != "procexit")
        .collect();
    assert_eq!(
        live.iter().map(|e| txt(e, "evt.type")).collect::<Vec<_>>(),
        replayed
            .iter()
            .map(|e| txt(e, "evt.type"))
            .collect::<Vec<_>>()
    );
    assert!(live.len() >= 18, "{}", live.len());
    let mut diffs = Vec::new();
    for (l, r) in live.iter().zip(&replayed) {
        for k in COMPARED {
            let (a, b) = (txt(l, k), txt(r, k));
            // a field only one side gives is compared where both have it
            if !a.is_empty() && !b.is_empty() && a != b {
                diffs.push(format!(
                    "{} {k}: live {a:?}, replay {b:?}",
                    txt(l, "evt.type")
                ));
            }
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // and the ones the scenario is about are present on both sides
    let shadow = &replayed[2];
    assert_eq!(txt(shadow, "fd.name"), "/etc/shadow");
    assert_eq!(txt(shadow, "proc.name"), "cat");
    assert_eq!(txt(shadow, "proc.pname"), "bash");
    assert_eq!(txt(shadow, "user.name"), "alice");
    let notes = &replayed[4];
    assert_eq!(txt(notes, "fd.name"), "/home/alice/notes.txt");
    assert_eq!(txt(notes, "evt.arg.flags"), "O_TRUNC|O_CREAT|O_WRONLY");
    assert_eq!(txt(&live[4], "fd.name"), "/home/alice/notes.txt");
    let link = &replayed[9];
    assert_eq!(txt(link, "evt.type"), "symlink");
    assert_eq!(txt(link, "evt.arg.target"), "/etc/shadow");
    let inner = replayed.last().unwrap();
    assert_eq!(txt(inner, "fd.name"), "/home/alice/d/inner.txt");
    assert_eq!(txt(inner, "user.uid"), "0");
}
