//! The per-syscall tracepoints (`syscalls:sys_exit_<name>`): finding their ids
//! in tracefs and opening them as perf events for the BPF program.
//!
//! Attached to these, the program runs only for the syscalls the rules and the
//! state need; every other syscall is turned away by the kernel's own bitmap
//! before any BPF runs. tracefs is often not mounted (it is not on the
//! project's machines): the ids are then read from a tracefs mounted in a
//! private mount namespace of a short-lived thread, so the host's mounts are
//! never changed.

use std::path::Path;

/// Where tracefs is usually found.
const ROOTS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/// The tracepoint id of `sys_exit_<name>` for each `(number, name)`; syscalls
/// without a tracepoint (the kernel does not implement them, such as
/// `init_module` without module support) are left out.
pub(crate) fn sys_exit_ids(syscalls: &[(u16, &str)]) -> Result<Vec<(u16, u64)>, String> {
    for root in ROOTS {
        if let Some(ids) = read_ids(Path::new(root), syscalls) {
            return Ok(ids);
        }
    }
    private_tracefs(syscalls)
}

fn read_ids(root: &Path, syscalls: &[(u16, &str)]) -> Option<Vec<(u16, u64)>> {
    let dir = root.join("events/syscalls");
    if !dir.is_dir() {
        return None;
    }
    let mut ids = Vec::new();
    for &(nr, name) in syscalls {
        let path = dir.join(format!("sys_exit_{name}/id"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(id) = text.trim().parse::<u64>() {
                ids.push((nr, id));
            }
        }
    }
    Some(ids)
}

/// Mounts tracefs in a new mount namespace that only a helper thread uses
/// (its mounts are private, nothing propagates to the host) and reads the ids there.
fn private_tracefs(syscalls: &[(u16, &str)]) -> Result<Vec<(u16, u64)>, String> {
    use nix::mount::{mount, MsFlags};
    use nix::sched::{unshare, CloneFlags};
    std::thread::scope(|s| {
        s.spawn(|| {
            unshare(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_FS)
                .map_err(|e| format!("a private mount namespace for tracefs: {e}"))?;
            mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )
            .map_err(|e| format!("making the private mounts private: {e}"))?;
            mount(
                Some("tracefs"),
                ROOTS[0],
                Some("tracefs"),
                MsFlags::empty(),
                None::<&str>,
            )
            .map_err(|e| format!("mounting tracefs: {e}"))?;
            read_ids(Path::new(ROOTS[0]), syscalls).ok_or_else(|| {
                "tracefs has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)".to_string()
            })
        })
        .join()
        .map_err(|_| "the tracefs helper thread failed".to_string())?
    })
}

/// Opens tracepoint `id` as a perf event (all processes; a BPF program
/// attached to a tracepoint runs on every CPU, whichever CPU the event is
/// opened on). The returned fd is owned by the BPF link made from it.
#[allow(unsafe_code)]
pub(crate) fn open_perf_tracepoint(id: u64) -> Result<i32, String> {
    // SAFETY: an all-zero perf_event_attr is valid (every field is an integer
    // or a union of integers); the kernel reads `size` bytes of it during the
    // call and keeps no pointer to it.
    let mut attr: libbpf_sys::perf_event_attr = unsafe { std::mem::zeroed() };
    attr.type_ = libbpf_sys::PERF_TYPE_TRACEPOINT;
    attr.size = std::mem::size_of::<libbpf_sys::perf_event_attr>() as u32;
    attr.config = id;
    // SAFETY: perf_event_open(2) with a valid attr pointer and plain integers.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const libbpf_sys::perf_event_attr,
            -1 as libc::pid_t,
            0 as libc::c_int,
            -1 as libc::c_int,
            libbpf_sys::PERF_FLAG_FD_CLOEXEC as libc::c_ulong,
        )
    };
    if fd < 0 {
        Err(format!(
            "perf_event_open of tracepoint {id}: {}",
            std::io::Error::last_os_error()
        ))
    } else {
        Ok(fd as i32)
    }
}
