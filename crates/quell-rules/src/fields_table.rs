//! The field registry: every field quell knows, with its type, argument kind and
//! a one-line description. Unknown fields are a compile error, as in Falco.
//!
//! Types are condensed from libsinsp's filtercheck tables (`PT_CHARBUF` → [`FieldType::Str`],
//! `PT_INT64`/`PT_PID`/`PT_FD` → [`FieldType::Int`], `PT_UINT*`/`PT_PORT`/`PT_ABSTIME`/`PT_RELTIME`
//! → [`FieldType::Uint`], ...). Fields whose value is a double (`proc.fdusage`, `thread.cpu`) are
//! not registered: quell has no floating-point value type.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::field::{ArgKind, FieldDescriptor, FieldRef, FieldType};

use ArgKind::{DottedName, Key, None as NoArg, OptionalIndex, OptionalKey};
use FieldType::{Bool, Bytes, Int, Ip, IpNet, Str, Uint};

/// The registry of known fields.
#[derive(Debug)]
pub struct Registry {
    fields: &'static [FieldDescriptor],
}

const fn fd(
    name: &'static str,
    ty: FieldType,
    arg: ArgKind,
    filter_only: bool,
    desc: &'static str,
) -> FieldDescriptor {
    FieldDescriptor {
        name,
        ty,
        arg,
        desc,
        filter_only,
    }
}

static FIELDS: &[FieldDescriptor] = &[
    // gen event
    fd(
        "evt.num",
        Uint,
        NoArg,
        false,
        "Sequence number of the event within the capture.",
    ),
    fd(
        "evt.time",
        Str,
        NoArg,
        false,
        "Event timestamp as time of day with nanoseconds (UTC).",
    ),
    fd(
        "evt.time.s",
        Str,
        NoArg,
        false,
        "Event timestamp as time of day, whole seconds.",
    ),
    fd(
        "evt.time.iso8601",
        Str,
        NoArg,
        false,
        "Event timestamp as an ISO 8601 date and time with nanoseconds (UTC).",
    ),
    fd(
        "evt.datetime",
        Str,
        NoArg,
        false,
        "Event timestamp as date and time of day with nanoseconds.",
    ),
    fd(
        "evt.datetime.s",
        Str,
        NoArg,
        false,
        "Event timestamp as date and time of day, whole seconds.",
    ),
    fd(
        "evt.rawtime",
        Uint,
        NoArg,
        false,
        "Event timestamp in nanoseconds since the Unix epoch.",
    ),
    fd(
        "evt.rawtime.s",
        Uint,
        NoArg,
        false,
        "Whole seconds of the event timestamp since the Unix epoch.",
    ),
    fd(
        "evt.rawtime.ns",
        Uint,
        NoArg,
        false,
        "Nanosecond part of the event timestamp.",
    ),
    fd(
        "evt.reltime",
        Uint,
        NoArg,
        false,
        "Nanoseconds since the start of the capture.",
    ),
    fd(
        "evt.hostname",
        Str,
        NoArg,
        false,
        "Name of the host the event was observed on.",
    ),
    fd(
        "evt.source",
        Str,
        NoArg,
        false,
        "Event source name, such as syscall.",
    ),
    fd(
        "evt.pluginname",
        Str,
        NoArg,
        false,
        "Plugin that produced the event, for plugin event sources.",
    ),
    fd(
        "evt.plugininfo",
        Str,
        NoArg,
        false,
        "Summary text a plugin gives for its event.",
    ),
    fd(
        "evt.is_async",
        Bool,
        NoArg,
        false,
        "Whether the event was injected asynchronously rather than captured.",
    ),
    fd(
        "evt.asynctype",
        Str,
        NoArg,
        false,
        "Kind of an asynchronous event.",
    ),
    // event
    fd(
        "evt.deltatime",
        Uint,
        NoArg,
        false,
        "Nanoseconds since the previous event.",
    ),
    fd(
        "evt.dir",
        Str,
        NoArg,
        false,
        "Direction: > for a syscall's entry, < for its exit.",
    ),
    fd(
        "evt.type",
        Str,
        NoArg,
        false,
        "Event name, usually the syscall (openat, execve, ...).",
    ),
    fd(
        "evt.type.is",
        Uint,
        DottedName,
        false,
        "1 when the event has the named type (evt.type.is.open), else 0.",
    ),
    fd(
        "syscall.type",
        Str,
        NoArg,
        false,
        "Syscall name, unset for events that are not syscalls.",
    ),
    fd(
        "evt.category",
        Str,
        NoArg,
        false,
        "Event category such as file, net or process.",
    ),
    fd("evt.cpu", Int, NoArg, false, "CPU the event happened on."),
    fd(
        "evt.args",
        Str,
        NoArg,
        false,
        "All event arguments as one formatted string.",
    ),
    fd(
        "evt.arg",
        Str,
        DottedName,
        false,
        "One event argument as formatted text, by name (evt.arg.flags) or position (evt.arg[0]).",
    ),
    fd(
        "evt.rawarg",
        Int,
        DottedName,
        false,
        "One event argument as its raw number, by name (evt.rawarg.res).",
    ),
    fd("evt.info", Str, NoArg, false, "Same text as evt.args."),
    fd(
        "evt.buffer",
        Bytes,
        NoArg,
        false,
        "Data buffer of I/O events (read, write, sendto, ...).",
    ),
    fd(
        "evt.buflen",
        Uint,
        NoArg,
        false,
        "Length of the event's data buffer.",
    ),
    fd(
        "evt.res",
        Str,
        NoArg,
        false,
        "Return value as text: SUCCESS or the errno name.",
    ),
    fd("evt.rawres", Int, NoArg, false, "Return value as a number."),
    fd(
        "evt.failed",
        Bool,
        NoArg,
        false,
        "Whether the syscall returned an error.",
    ),
    fd(
        "evt.is_io",
        Bool,
        NoArg,
        false,
        "Whether the event reads or writes a file descriptor.",
    ),
    fd(
        "evt.is_io_read",
        Bool,
        NoArg,
        false,
        "Whether the event reads from a file descriptor.",
    ),
    fd(
        "evt.is_io_write",
        Bool,
        NoArg,
        false,
        "Whether the event writes to a file descriptor.",
    ),
    fd(
        "evt.io_dir",
        Str,
        NoArg,
        false,
        "r for reads, w for writes.",
    ),
    fd(
        "evt.is_wait",
        Bool,
        NoArg,
        false,
        "Whether the event makes the thread wait (sleep, poll, ...).",
    ),
    fd(
        "evt.is_syslog",
        Bool,
        NoArg,
        false,
        "Whether the event writes to /dev/log.",
    ),
    fd(
        "evt.count",
        Uint,
        NoArg,
        false,
        "Always 1; used to count events.",
    ),
    fd(
        "evt.abspath",
        Str,
        DottedName,
        false,
        "Path resolved against a dirfd (evt.abspath.src, evt.abspath.dst).",
    ),
    fd(
        "evt.is_open_read",
        Bool,
        NoArg,
        false,
        "Whether an open-family call opened the path for reading.",
    ),
    fd(
        "evt.is_open_write",
        Bool,
        NoArg,
        false,
        "Whether an open-family call opened the path for writing.",
    ),
    fd(
        "evt.is_open_exec",
        Bool,
        NoArg,
        false,
        "Whether an open-family or creat call created a file with execute permission.",
    ),
    fd(
        "evt.is_open_create",
        Bool,
        NoArg,
        false,
        "Whether an open-family call created the file.",
    ),
    // process / thread
    fd(
        "proc.exe",
        Str,
        NoArg,
        false,
        "First command-line argument (argv[0]) of the process.",
    ),
    fd(
        "proc.pexe",
        Str,
        NoArg,
        false,
        "argv[0] of the parent process.",
    ),
    fd(
        "proc.aexe",
        Str,
        OptionalIndex,
        false,
        "argv[0] of an ancestor (proc.aexe[2]); without an index, any ancestor.",
    ),
    fd(
        "proc.exepath",
        Str,
        NoArg,
        false,
        "Full path of the process executable.",
    ),
    fd(
        "proc.pexepath",
        Str,
        NoArg,
        false,
        "Full executable path of the parent process.",
    ),
    fd(
        "proc.aexepath",
        Str,
        OptionalIndex,
        false,
        "Executable path of an ancestor; without an index, any ancestor.",
    ),
    fd(
        "proc.name",
        Str,
        NoArg,
        false,
        "Process name (comm, at most 16 characters).",
    ),
    fd(
        "proc.pname",
        Str,
        NoArg,
        false,
        "Name of the parent process.",
    ),
    fd(
        "proc.aname",
        Str,
        OptionalIndex,
        false,
        "Name of an ancestor (proc.aname[1] is the parent); without an index, any ancestor.",
    ),
    fd(
        "proc.args",
        Str,
        NoArg,
        false,
        "Command-line arguments after argv[0].",
    ),
    fd(
        "proc.cmdline",
        Str,
        NoArg,
        false,
        "Process name followed by its arguments.",
    ),
    fd(
        "proc.pcmdline",
        Str,
        NoArg,
        false,
        "Command line of the parent process.",
    ),
    fd(
        "proc.acmdline",
        Str,
        OptionalIndex,
        false,
        "Command line of an ancestor; without an index, any ancestor.",
    ),
    fd(
        "proc.cmdnargs",
        Uint,
        NoArg,
        false,
        "Number of command-line arguments.",
    ),
    fd(
        "proc.cmdlenargs",
        Uint,
        NoArg,
        false,
        "Total characters in the command-line arguments.",
    ),
    fd(
        "proc.exeline",
        Str,
        NoArg,
        false,
        "argv[0] followed by the arguments.",
    ),
    fd(
        "proc.env",
        Str,
        OptionalKey,
        false,
        "Environment of the process, or one variable (proc.env[HOME]).",
    ),
    fd(
        "proc.aenv",
        Str,
        OptionalKey,
        false,
        "Environment of an ancestor, by level or variable name; without an argument, any ancestor.",
    ),
    fd(
        "proc.cwd",
        Str,
        NoArg,
        false,
        "Current working directory of the process.",
    ),
    fd(
        "proc.loginshellid",
        Int,
        NoArg,
        false,
        "Pid of the oldest shell among the process's ancestors.",
    ),
    fd(
        "proc.tty",
        Uint,
        NoArg,
        false,
        "Controlling terminal number, 0 when there is none.",
    ),
    fd("proc.pid", Int, NoArg, false, "Process id."),
    fd("proc.ppid", Int, NoArg, false, "Parent process id."),
    fd(
        "proc.apid",
        Int,
        OptionalIndex,
        false,
        "Pid of an ancestor; without an index, any ancestor.",
    ),
    fd(
        "proc.vpid",
        Int,
        NoArg,
        false,
        "Process id inside its pid namespace.",
    ),
    fd(
        "proc.pvpid",
        Int,
        NoArg,
        false,
        "Parent process id inside its pid namespace.",
    ),
    fd("proc.sid", Int, NoArg, false, "Session id."),
    fd(
        "proc.sname",
        Str,
        NoArg,
        false,
        "Name of the session leader.",
    ),
    fd(
        "proc.sid.exe",
        Str,
        NoArg,
        false,
        "argv[0] of the session leader.",
    ),
    fd(
        "proc.sid.exepath",
        Str,
        NoArg,
        false,
        "Executable path of the session leader.",
    ),
    fd(
        "proc.vpgid",
        Int,
        NoArg,
        false,
        "Process group id inside the pid namespace.",
    ),
    fd(
        "proc.vpgid.name",
        Str,
        NoArg,
        false,
        "Name of the process group leader.",
    ),
    fd(
        "proc.vpgid.exe",
        Str,
        NoArg,
        false,
        "argv[0] of the process group leader.",
    ),
    fd(
        "proc.vpgid.exepath",
        Str,
        NoArg,
        false,
        "Executable path of the process group leader.",
    ),
    fd(
        "proc.duration",
        Uint,
        NoArg,
        false,
        "Nanoseconds since the process started.",
    ),
    fd(
        "proc.ppid.duration",
        Uint,
        NoArg,
        false,
        "Nanoseconds since the parent process started.",
    ),
    fd(
        "proc.pid.ts",
        Uint,
        NoArg,
        false,
        "Process start time in nanoseconds since the epoch.",
    ),
    fd(
        "proc.ppid.ts",
        Uint,
        NoArg,
        false,
        "Parent process start time in nanoseconds since the epoch.",
    ),
    fd(
        "proc.is_exe_writable",
        Bool,
        NoArg,
        false,
        "Whether the executable is writable by the user that started the process.",
    ),
    fd(
        "proc.is_exe_upper_layer",
        Bool,
        NoArg,
        false,
        "Whether the executable lives in an overlayfs upper layer.",
    ),
    fd(
        "proc.is_exe_from_memfd",
        Bool,
        NoArg,
        false,
        "Whether the executable is an in-memory memfd file.",
    ),
    fd(
        "proc.is_sid_leader",
        Bool,
        NoArg,
        false,
        "Whether the process leads its session.",
    ),
    fd(
        "proc.is_vpgid_leader",
        Bool,
        NoArg,
        false,
        "Whether the process leads its process group.",
    ),
    fd(
        "proc.exe_ino",
        Int,
        NoArg,
        false,
        "Inode number of the executable file.",
    ),
    fd(
        "proc.exe_ino.ctime",
        Uint,
        NoArg,
        false,
        "Status-change time of the executable file, nanoseconds since the epoch.",
    ),
    fd(
        "proc.exe_ino.mtime",
        Uint,
        NoArg,
        false,
        "Modification time of the executable file, nanoseconds since the epoch.",
    ),
    fd(
        "proc.exe_ino.ctime_duration_proc_start",
        Uint,
        NoArg,
        false,
        "Nanoseconds from the executable's ctime to the process start.",
    ),
    fd(
        "proc.exe_ino.ctime_duration_pidns_start",
        Uint,
        NoArg,
        false,
        "Nanoseconds from the pid namespace start to the executable's ctime.",
    ),
    fd(
        "proc.pidns_init_start_ts",
        Uint,
        NoArg,
        false,
        "Start time of the pid namespace, nanoseconds since the epoch.",
    ),
    fd(
        "proc.is_container_healthcheck",
        Bool,
        NoArg,
        false,
        "Whether the process runs a container health check.",
    ),
    fd(
        "proc.is_container_liveness_probe",
        Bool,
        NoArg,
        false,
        "Whether the process runs a container liveness probe.",
    ),
    fd(
        "proc.is_container_readiness_probe",
        Bool,
        NoArg,
        false,
        "Whether the process runs a container readiness probe.",
    ),
    fd(
        "proc.fdopencount",
        Uint,
        NoArg,
        false,
        "Number of open file descriptors.",
    ),
    fd(
        "proc.fdlimit",
        Int,
        NoArg,
        false,
        "Maximum number of file descriptors.",
    ),
    fd(
        "proc.vmsize",
        Uint,
        NoArg,
        false,
        "Virtual memory size in kB.",
    ),
    fd("proc.vmrss", Uint, NoArg, false, "Resident memory in kB."),
    fd("proc.vmswap", Uint, NoArg, false, "Swapped memory in kB."),
    fd(
        "proc.nthreads",
        Uint,
        NoArg,
        false,
        "Number of live threads of the process.",
    ),
    fd(
        "proc.nchilds",
        Uint,
        NoArg,
        false,
        "Number of live non-leader threads of the process.",
    ),
    fd(
        "thread.cap_permitted",
        Str,
        NoArg,
        false,
        "Permitted capability set.",
    ),
    fd(
        "thread.cap_inheritable",
        Str,
        NoArg,
        false,
        "Inheritable capability set.",
    ),
    fd(
        "thread.cap_effective",
        Str,
        NoArg,
        false,
        "Effective capability set.",
    ),
    fd(
        "thread.pfmajor",
        Uint,
        NoArg,
        false,
        "Major page faults since the thread started.",
    ),
    fd(
        "thread.pfminor",
        Uint,
        NoArg,
        false,
        "Minor page faults since the thread started.",
    ),
    fd("thread.tid", Int, NoArg, false, "Thread id."),
    fd(
        "thread.ismain",
        Bool,
        NoArg,
        false,
        "Whether the thread is the process's main thread.",
    ),
    fd(
        "thread.vtid",
        Int,
        NoArg,
        false,
        "Thread id inside its pid namespace.",
    ),
    fd(
        "thread.exectime",
        Uint,
        NoArg,
        false,
        "CPU time of the last scheduled thread, in nanoseconds.",
    ),
    fd(
        "thread.totexectime",
        Uint,
        NoArg,
        false,
        "Total CPU time of the thread, in nanoseconds.",
    ),
    fd(
        "thread.cgroups",
        Str,
        NoArg,
        false,
        "All cgroups of the thread as one string.",
    ),
    fd(
        "thread.cgroup",
        Str,
        DottedName,
        false,
        "Cgroup of the thread for one subsystem (thread.cgroup.cpuacct).",
    ),
    fd(
        "thread.vmsize",
        Uint,
        NoArg,
        false,
        "Virtual memory of the main thread in kB, 0 for other threads.",
    ),
    fd(
        "thread.vmrss",
        Uint,
        NoArg,
        false,
        "Resident memory of the main thread in kB, 0 for other threads.",
    ),
    // user / group
    fd("user.uid", Uint, NoArg, false, "User id."),
    fd("user.name", Str, NoArg, false, "User name."),
    fd(
        "user.homedir",
        Str,
        NoArg,
        false,
        "Home directory of the user.",
    ),
    fd("user.shell", Str, NoArg, false, "Login shell of the user."),
    fd(
        "user.loginuid",
        Int,
        NoArg,
        false,
        "Audit login user id; -1 when unset.",
    ),
    fd(
        "user.loginname",
        Str,
        NoArg,
        false,
        "Name of the audit login user.",
    ),
    fd("group.gid", Uint, NoArg, false, "Group id."),
    fd("group.name", Str, NoArg, false, "Group name."),
    // fd
    fd("fd.num", Int, NoArg, false, "File descriptor number."),
    fd(
        "fd.type",
        Str,
        NoArg,
        false,
        "Descriptor type: file, directory, ipv4, ipv6, unix, pipe, ...",
    ),
    fd(
        "fd.typechar",
        Str,
        NoArg,
        false,
        "Descriptor type as one character (f, 4, 6, u, p, ...).",
    ),
    fd(
        "fd.name",
        Str,
        NoArg,
        false,
        "Full path of a file, or the connection tuple of a socket.",
    ),
    fd(
        "fd.directory",
        Str,
        NoArg,
        false,
        "Directory part of a file descriptor's path.",
    ),
    fd(
        "fd.filename",
        Str,
        NoArg,
        false,
        "File name part of a file descriptor's path.",
    ),
    fd(
        "fd.ip",
        Ip,
        NoArg,
        true,
        "Matches the client or the server address.",
    ),
    fd("fd.cip", Ip, NoArg, false, "Client IP address."),
    fd("fd.sip", Ip, NoArg, false, "Server IP address."),
    fd("fd.lip", Ip, NoArg, false, "Local IP address."),
    fd("fd.rip", Ip, NoArg, false, "Remote IP address."),
    fd(
        "fd.port",
        Uint,
        NoArg,
        true,
        "Matches the client or the server port.",
    ),
    fd("fd.cport", Uint, NoArg, false, "Client port."),
    fd("fd.sport", Uint, NoArg, false, "Server port."),
    fd("fd.lport", Uint, NoArg, false, "Local port."),
    fd("fd.rport", Uint, NoArg, false, "Remote port."),
    fd(
        "fd.l4proto",
        Str,
        NoArg,
        false,
        "Transport protocol: tcp, udp, icmp or raw.",
    ),
    fd(
        "fd.sockfamily",
        Str,
        NoArg,
        false,
        "Socket family: ip or unix.",
    ),
    fd(
        "fd.is_server",
        Bool,
        NoArg,
        false,
        "Whether this process is the server end of the connection.",
    ),
    fd(
        "fd.uid",
        Str,
        NoArg,
        false,
        "Descriptor number joined with the thread id.",
    ),
    fd(
        "fd.containername",
        Str,
        NoArg,
        false,
        "Container id joined with the descriptor name.",
    ),
    fd(
        "fd.containerdirectory",
        Str,
        NoArg,
        false,
        "Container id joined with the directory name.",
    ),
    fd(
        "fd.proto",
        Uint,
        NoArg,
        true,
        "Matches the client or the server protocol.",
    ),
    fd("fd.cproto", Str, NoArg, false, "Client protocol name."),
    fd("fd.sproto", Str, NoArg, false, "Server protocol name."),
    fd("fd.lproto", Str, NoArg, false, "Local protocol name."),
    fd("fd.rproto", Str, NoArg, false, "Remote protocol name."),
    fd(
        "fd.net",
        IpNet,
        NoArg,
        true,
        "Matches the network of the client or the server address.",
    ),
    fd(
        "fd.cnet",
        IpNet,
        NoArg,
        true,
        "Matches the network of the client address.",
    ),
    fd(
        "fd.snet",
        IpNet,
        NoArg,
        true,
        "Matches the network of the server address.",
    ),
    fd(
        "fd.lnet",
        IpNet,
        NoArg,
        true,
        "Matches the network of the local address.",
    ),
    fd(
        "fd.rnet",
        IpNet,
        NoArg,
        true,
        "Matches the network of the remote address.",
    ),
    fd(
        "fd.connected",
        Bool,
        NoArg,
        false,
        "Whether the socket is connected.",
    ),
    fd(
        "fd.name_changed",
        Bool,
        NoArg,
        false,
        "Whether this event changed the descriptor's name.",
    ),
    fd(
        "fd.cip.name",
        Str,
        NoArg,
        false,
        "Domain name of the client address.",
    ),
    fd(
        "fd.sip.name",
        Str,
        NoArg,
        false,
        "Domain name of the server address.",
    ),
    fd(
        "fd.lip.name",
        Str,
        NoArg,
        false,
        "Domain name of the local address.",
    ),
    fd(
        "fd.rip.name",
        Str,
        NoArg,
        false,
        "Domain name of the remote address.",
    ),
    fd("fd.dev", Int, NoArg, false, "Device number of the file."),
    fd(
        "fd.dev.major",
        Int,
        NoArg,
        false,
        "Major device number of the file.",
    ),
    fd(
        "fd.dev.minor",
        Int,
        NoArg,
        false,
        "Minor device number of the file.",
    ),
    fd("fd.ino", Int, NoArg, false, "Inode number of the file."),
    fd(
        "fd.nameraw",
        Str,
        NoArg,
        false,
        "File path as passed to the syscall, not made absolute.",
    ),
    fd(
        "fd.types",
        Str,
        OptionalIndex,
        false,
        "Types of the process's open descriptors, as a list (fd.types[0] for one descriptor).",
    ),
    // fs.path
    fd(
        "fs.path.name",
        Str,
        NoArg,
        false,
        "Path a filesystem syscall acted on, made absolute.",
    ),
    fd(
        "fs.path.nameraw",
        Str,
        NoArg,
        false,
        "Path a filesystem syscall acted on, as passed.",
    ),
    fd(
        "fs.path.source",
        Str,
        NoArg,
        false,
        "Source path of a two-path syscall (rename, link, ...), made absolute.",
    ),
    fd(
        "fs.path.sourceraw",
        Str,
        NoArg,
        false,
        "Source path of a two-path syscall, as passed.",
    ),
    fd(
        "fs.path.target",
        Str,
        NoArg,
        false,
        "Target path of a two-path syscall, made absolute.",
    ),
    fd(
        "fs.path.targetraw",
        Str,
        NoArg,
        false,
        "Target path of a two-path syscall, as passed.",
    ),
    // container
    fd(
        "container.id",
        Str,
        NoArg,
        false,
        "Short container id (12 characters), or host.",
    ),
    fd("container.full_id", Str, NoArg, false, "Full container id."),
    fd(
        "container.name",
        Str,
        NoArg,
        false,
        "Container name, or host.",
    ),
    fd(
        "container.image",
        Str,
        NoArg,
        false,
        "Container image name.",
    ),
    fd(
        "container.image.id",
        Str,
        NoArg,
        false,
        "Container image id.",
    ),
    fd(
        "container.type",
        Str,
        NoArg,
        false,
        "Container runtime type (docker, cri-o, containerd, ...).",
    ),
    fd(
        "container.privileged",
        Bool,
        NoArg,
        false,
        "Whether the container runs privileged.",
    ),
    fd(
        "container.mounts",
        Str,
        NoArg,
        false,
        "All mounts as source:dest:mode:rdwr:propagation items.",
    ),
    fd(
        "container.mount",
        Str,
        Key,
        false,
        "One mount, by index or source path (may be a glob).",
    ),
    fd(
        "container.mount.source",
        Str,
        Key,
        false,
        "Source of a mount, by index or destination path.",
    ),
    fd(
        "container.mount.dest",
        Str,
        Key,
        false,
        "Destination of a mount, by index or source path.",
    ),
    fd(
        "container.mount.mode",
        Str,
        Key,
        false,
        "Mode of a mount, by index or source path.",
    ),
    fd(
        "container.mount.rdwr",
        Str,
        Key,
        false,
        "Read/write flag of a mount, by index or source path.",
    ),
    fd(
        "container.mount.propagation",
        Str,
        Key,
        false,
        "Propagation of a mount, by index or source path.",
    ),
    fd(
        "container.image.repository",
        Str,
        NoArg,
        false,
        "Repository of the container image.",
    ),
    fd(
        "container.image.tag",
        Str,
        NoArg,
        false,
        "Tag of the container image.",
    ),
    fd(
        "container.image.digest",
        Str,
        NoArg,
        false,
        "Registry digest of the container image.",
    ),
    fd(
        "container.healthcheck",
        Str,
        NoArg,
        false,
        "Health check command of the container.",
    ),
    fd(
        "container.liveness_probe",
        Str,
        NoArg,
        false,
        "Liveness probe command of the container.",
    ),
    fd(
        "container.readiness_probe",
        Str,
        NoArg,
        false,
        "Readiness probe command of the container.",
    ),
    fd(
        "container.start_ts",
        Uint,
        NoArg,
        false,
        "Container start time in nanoseconds since the epoch.",
    ),
    fd(
        "container.duration",
        Uint,
        NoArg,
        false,
        "Nanoseconds since the container started.",
    ),
    fd(
        "container.ip",
        Str,
        NoArg,
        false,
        "Primary IPv4 address of the container.",
    ),
    fd(
        "container.cni.json",
        Str,
        NoArg,
        false,
        "CNI result of the container's pod, as JSON text.",
    ),
    fd(
        "container.host_pid",
        Bool,
        NoArg,
        false,
        "Whether the container shares the host pid namespace.",
    ),
    fd(
        "container.host_network",
        Bool,
        NoArg,
        false,
        "Whether the container shares the host network namespace.",
    ),
    fd(
        "container.host_ipc",
        Bool,
        NoArg,
        false,
        "Whether the container shares the host IPC namespace.",
    ),
    fd(
        "container.label",
        Str,
        Key,
        false,
        "One container label (container.label[app]).",
    ),
    fd(
        "container.labels",
        Str,
        NoArg,
        false,
        "All container labels as key:value pairs.",
    ),
    // k8s
    fd("k8s.pod.name", Str, NoArg, false, "Kubernetes pod name."),
    fd(
        "k8s.ns.name",
        Str,
        NoArg,
        false,
        "Kubernetes namespace name.",
    ),
    fd(
        "k8s.pod.id",
        Str,
        NoArg,
        false,
        "Legacy alias of k8s.pod.uid.",
    ),
    fd("k8s.pod.uid", Str, NoArg, false, "Kubernetes pod UID."),
    fd(
        "k8s.pod.sandbox_id",
        Str,
        NoArg,
        false,
        "Short id of the pod sandbox.",
    ),
    fd(
        "k8s.pod.full_sandbox_id",
        Str,
        NoArg,
        false,
        "Full id of the pod sandbox.",
    ),
    fd(
        "k8s.pod.label",
        Str,
        Key,
        false,
        "One pod label (k8s.pod.label[app]).",
    ),
    fd("k8s.pod.labels", Str, NoArg, false, "All pod labels."),
    fd("k8s.pod.ip", Str, NoArg, false, "Pod IP address."),
    fd(
        "k8s.pod.cni.json",
        Str,
        NoArg,
        false,
        "CNI result of the pod, as JSON text.",
    ),
];

static REGISTRY: Registry = Registry { fields: FIELDS };

/// Ancestor fields: `[N]` selects a level (0 = the process itself, 1 = its parent, ...);
/// without an index a check matches if any ancestor (level 1 and up) matches.
pub const ANCESTOR_FIELDS: &[&str] = &[
    "proc.aname",
    "proc.apid",
    "proc.aexe",
    "proc.aexepath",
    "proc.acmdline",
];

/// The built-in registry.
pub fn registry() -> &'static Registry {
    &REGISTRY
}

fn index() -> &'static HashMap<&'static str, usize> {
    static INDEX: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    INDEX.get_or_init(|| {
        FIELDS
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name, i))
            .collect()
    })
}

/// Why a field name does not resolve against the registry. Its `Display` is Falco's wording,
/// which diagnostics carry as their message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldError {
    /// No such field, or an argument given to a field that takes none
    /// (`filter_check called with nonexistent field proc.nobody`).
    Nonexistent {
        /// The name as written.
        name: String,
        /// The bracketed argument as written, if any.
        arg: Option<String>,
    },
    /// The field needs an argument (`field 'evt.arg' requires an argument`).
    RequiresArgument {
        /// The field.
        field: &'static str,
    },
    /// The field's argument must be a level or an index (`proc.aname[x]`).
    NotAnIndex {
        /// The field.
        field: &'static str,
        /// The argument as written.
        arg: String,
    },
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldError::Nonexistent { name, arg: Some(a) } => {
                write!(f, "filter_check called with nonexistent field {name}[{a}]")
            }
            FieldError::Nonexistent { name, arg: None } => {
                write!(f, "filter_check called with nonexistent field {name}")
            }
            FieldError::RequiresArgument { field } => {
                write!(f, "field '{field}' requires an argument")
            }
            FieldError::NotAnIndex { field, arg } => {
                write!(f, "field '{field}' expects a numeric index, got '{arg}'")
            }
        }
    }
}

impl std::error::Error for FieldError {}

/// The message, for the compiler's diagnostics.
impl From<FieldError> for String {
    fn from(e: FieldError) -> String {
        e.to_string()
    }
}

fn nonexistent(name: &str, arg: Option<&str>) -> FieldError {
    FieldError::Nonexistent {
        name: name.to_string(),
        arg: arg.map(str::to_string),
    }
}

/// True when a dotted argument can be written after a dot and read back the same way.
fn is_dotted_arg(arg: &str) -> bool {
    !arg.is_empty()
        && arg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !arg.bytes().all(|b| b.is_ascii_digit())
}

fn parse_level(field: &'static str, arg: &str) -> Result<u32, FieldError> {
    arg.trim()
        .parse::<u32>()
        .map_err(|_| FieldError::NotAnIndex {
            field,
            arg: arg.to_string(),
        })
}

impl Registry {
    /// Every field, in table order.
    pub fn descriptors(&self) -> &[FieldDescriptor] {
        self.fields
    }

    /// The descriptor of a base field name (`proc.aname`, `evt.arg`, `fd.name`).
    pub fn lookup(&self, name: &str) -> Option<&FieldDescriptor> {
        if std::ptr::eq(self.fields, FIELDS) {
            index().get(name).and_then(|&i| self.fields.get(i))
        } else {
            self.fields.iter().find(|f| f.name == name)
        }
    }

    /// The descriptor of a field that takes a dotted argument and whose name prefixes `text`
    /// followed by a dot (`evt.arg` for `evt.arg.flags`), with the rest of the text.
    fn dotted_prefix<'t>(&self, text: &'t str) -> Option<(&FieldDescriptor, &'t str)> {
        // Try the longest prefix first: `evt.type.is.open` is `evt.type.is` + `open`.
        let mut end = text.len();
        while let Some(dot) = text.get(..end).and_then(|t| t.rfind('.')) {
            let (head, rest) = (&text[..dot], &text[dot + 1..]);
            if let Some(d) = self.lookup(head) {
                if d.arg == DottedName && !rest.is_empty() {
                    return Some((d, rest));
                }
            }
            end = dot;
        }
        None
    }

    /// Resolves a field as the parser gives it (name and optional bracketed argument).
    /// `evt.arg.flags` resolves to the `evt.arg` field with argument `flags`.
    /// Errors carry Falco's wording, e.g. `filter_check called with nonexistent field proc.nobody`.
    pub fn resolve(&self, name: &str, arg: Option<&str>) -> Result<FieldRef, FieldError> {
        let Some(d) = self.lookup(name) else {
            return match (self.dotted_prefix(name), arg) {
                (Some((d, rest)), None) => self.resolve(d.name, Some(rest)),
                _ => Err(nonexistent(name, arg)),
            };
        };
        let make = |arg: Option<String>, key: String, all_levels: bool| FieldRef {
            name: d.name,
            arg,
            key,
            ty: d.ty,
            all_levels,
        };
        let required = || FieldError::RequiresArgument { field: d.name };
        match (d.arg, arg) {
            (NoArg, None) => Ok(make(None, d.name.to_string(), false)),
            (NoArg, Some(a)) => Err(nonexistent(name, Some(a))),
            (DottedName, None) | (Key, None) | (ArgKind::Index, None) => Err(required()),
            (DottedName, Some(a)) => {
                if a.is_empty() {
                    return Err(required());
                }
                let key = if is_dotted_arg(a) {
                    format!("{}.{a}", d.name)
                } else {
                    format!("{}[{a}]", d.name)
                };
                Ok(make(Some(a.to_string()), key, false))
            }
            (OptionalIndex, None) => {
                let all = ANCESTOR_FIELDS.contains(&d.name);
                Ok(make(None, d.name.to_string(), all))
            }
            (OptionalIndex, Some(a)) | (ArgKind::Index, Some(a)) => {
                let n = parse_level(d.name, a)?;
                Ok(make(Some(n.to_string()), format!("{}[{n}]", d.name), false))
            }
            (Key, Some(a)) | (OptionalKey, Some(a)) => {
                if a.is_empty() {
                    return Err(required());
                }
                Ok(make(Some(a.to_string()), format!("{}[{a}]", d.name), false))
            }
            (OptionalKey, None) => {
                // `proc.aenv` without an argument looks at every ancestor, like `proc.aname`.
                let all = d.name == "proc.aenv";
                Ok(make(None, d.name.to_string(), all))
            }
        }
    }

    /// Resolves a field written as text, with its argument: `proc.aname[2]`, `evt.arg.flags`.
    pub fn resolve_text(&self, text: &str) -> Result<FieldRef, FieldError> {
        match text.find('[') {
            Some(i) if text.ends_with(']') && text.len() > i + 1 => {
                self.resolve(&text[..i], Some(&text[i + 1..text.len() - 1]))
            }
            _ => self.resolve(text, None),
        }
    }
}

const NOT_TRACKED: &str = "not kept by quell's process table";
const PROBES: &str = "container health and liveness probes are not read from the runtime";
const ENV: &str = "ancestors' environments are not carried in events";
const NO_IO: &str = "read and write calls (and their buffers) are not captured";
const NO_PLUGIN: &str = "quell captures syscalls only: no plugin or asynchronous events";
const EVT_META: &str = "not recorded on live events";
const USERS: &str = "home directories and shells are not read from /etc/passwd";
const FD_META: &str = "not recorded for live fds";
const PROTO: &str = "port-to-protocol names are not resolved";
const RUNTIME: &str = "not read from the container runtime's state";

/// Fields `quell run` (live capture) never produces, each with why. A rule
/// reading one sees it missing, so every comparison on it is false. Every
/// other registry field is produced live: quell-capture's coverage test
/// checks both directions against events of every record kind it decodes.
pub static NOT_LIVE: &[(&str, &str)] = &[
    // not kept by quell's process table
    ("proc.loginshellid", NOT_TRACKED),
    ("proc.pvpid", NOT_TRACKED),
    ("proc.sid.exe", NOT_TRACKED),
    ("proc.sid.exepath", NOT_TRACKED),
    ("proc.vpgid", NOT_TRACKED),
    ("proc.vpgid.name", NOT_TRACKED),
    ("proc.vpgid.exe", NOT_TRACKED),
    ("proc.vpgid.exepath", NOT_TRACKED),
    ("proc.ppid.duration", NOT_TRACKED),
    ("proc.ppid.ts", NOT_TRACKED),
    ("proc.is_exe_writable", NOT_TRACKED),
    ("proc.is_sid_leader", NOT_TRACKED),
    ("proc.is_vpgid_leader", NOT_TRACKED),
    ("proc.exe_ino.ctime_duration_pidns_start", NOT_TRACKED),
    ("proc.pidns_init_start_ts", NOT_TRACKED),
    ("proc.fdopencount", NOT_TRACKED),
    ("proc.fdlimit", NOT_TRACKED),
    ("proc.vmsize", NOT_TRACKED),
    ("proc.vmrss", NOT_TRACKED),
    ("proc.vmswap", NOT_TRACKED),
    ("proc.nthreads", NOT_TRACKED),
    ("proc.nchilds", NOT_TRACKED),
    ("proc.cmdnargs", NOT_TRACKED),
    ("proc.cmdlenargs", NOT_TRACKED),
    ("proc.exeline", NOT_TRACKED),
    ("thread.pfmajor", NOT_TRACKED),
    ("thread.pfminor", NOT_TRACKED),
    ("thread.ismain", NOT_TRACKED),
    ("thread.vtid", NOT_TRACKED),
    ("thread.exectime", NOT_TRACKED),
    ("thread.totexectime", NOT_TRACKED),
    ("thread.cgroups", NOT_TRACKED),
    ("thread.cgroup", NOT_TRACKED),
    ("thread.vmsize", NOT_TRACKED),
    ("thread.vmrss", NOT_TRACKED),
    // container health and liveness probes are not read from the runtime
    ("proc.is_container_healthcheck", PROBES),
    ("proc.is_container_liveness_probe", PROBES),
    ("proc.is_container_readiness_probe", PROBES),
    ("container.healthcheck", PROBES),
    ("container.liveness_probe", PROBES),
    ("container.readiness_probe", PROBES),
    // an ancestor's environment is not carried by events (the process's own is: proc.env)
    ("proc.aenv", ENV),
    // read and write calls (and their buffers) are not captured
    ("evt.buffer", NO_IO),
    ("evt.buflen", NO_IO),
    ("evt.is_io", NO_IO),
    ("evt.is_io_read", NO_IO),
    ("evt.is_io_write", NO_IO),
    ("evt.io_dir", NO_IO),
    ("evt.is_wait", NO_IO),
    ("evt.is_syslog", NO_IO),
    // quell captures syscalls only: no plugin or asynchronous events
    ("evt.pluginname", NO_PLUGIN),
    ("evt.plugininfo", NO_PLUGIN),
    ("evt.is_async", NO_PLUGIN),
    ("evt.asynctype", NO_PLUGIN),
    // not recorded on live events
    ("evt.reltime", EVT_META),
    ("evt.deltatime", EVT_META),
    ("evt.hostname", EVT_META),
    ("evt.source", EVT_META),
    ("evt.category", EVT_META),
    ("evt.cpu", EVT_META),
    ("evt.info", EVT_META),
    ("evt.count", EVT_META),
    ("evt.type.is", EVT_META),
    ("syscall.type", EVT_META),
    ("evt.abspath", EVT_META),
    ("evt.is_open_create", EVT_META),
    ("evt.rawarg", EVT_META),
    // home directories and shells are not read from /etc/passwd
    ("user.homedir", USERS),
    ("user.shell", USERS),
    // not recorded for live fds
    ("fd.is_server", FD_META),
    ("fd.uid", FD_META),
    ("fd.containername", FD_META),
    ("fd.containerdirectory", FD_META),
    ("fd.dev", FD_META),
    ("fd.dev.major", FD_META),
    ("fd.dev.minor", FD_META),
    ("fd.ino", FD_META),
    ("fd.types", FD_META),
    // port-to-protocol names are not resolved
    ("fd.proto", PROTO),
    ("fd.cproto", PROTO),
    ("fd.sproto", PROTO),
    ("fd.lproto", PROTO),
    ("fd.rproto", PROTO),
    // not read from the container runtime's state
    ("container.image.id", RUNTIME),
    ("container.image.digest", RUNTIME),
    ("container.mounts", RUNTIME),
    ("container.mount", RUNTIME),
    ("container.mount.source", RUNTIME),
    ("container.mount.dest", RUNTIME),
    ("container.mount.mode", RUNTIME),
    ("container.mount.rdwr", RUNTIME),
    ("container.mount.propagation", RUNTIME),
    ("container.start_ts", RUNTIME),
    ("container.duration", RUNTIME),
    ("container.ip", RUNTIME),
    ("container.cni.json", RUNTIME),
    ("container.host_pid", RUNTIME),
    ("container.host_network", RUNTIME),
    ("container.host_ipc", RUNTIME),
    ("container.label", RUNTIME),
    ("container.labels", RUNTIME),
    ("k8s.pod.id", RUNTIME),
    ("k8s.pod.sandbox_id", RUNTIME),
    ("k8s.pod.full_sandbox_id", RUNTIME),
    ("k8s.pod.label", RUNTIME),
    ("k8s.pod.labels", RUNTIME),
    ("k8s.pod.ip", RUNTIME),
    ("k8s.pod.cni.json", RUNTIME),
];

/// Why `quell run` never produces field `name` (a registry base name, such as
/// `evt.arg` or `proc.aname`); `None` when it does.
pub fn not_live_reason(name: &str) -> Option<&'static str> {
    NOT_LIVE.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_live_names_registry_fields_once() {
        let mut seen = std::collections::HashSet::new();
        for (n, why) in NOT_LIVE {
            assert!(
                registry().lookup(n).is_some(),
                "{n} is not a registry field"
            );
            assert!(seen.insert(*n), "{n} listed twice");
            assert!(!why.is_empty());
        }
        assert_eq!(not_live_reason("proc.aenv"), Some(ENV));
        assert_eq!(not_live_reason("proc.env"), None);
        assert_eq!(not_live_reason("proc.name"), None);
    }

    /// Every field the upstream rules files use (falco-compat.md §3.3), as written there.
    const UPSTREAM: &[&str] = &[
        "proc.name",
        "fd.name",
        "proc.cmdline",
        "proc.pname",
        "evt.type",
        "user.name",
        "proc.aname",
        "user.uid",
        "proc.tty",
        "user.loginuid",
        "proc.exepath",
        "container.image.repository",
        "proc.args",
        "evt.arg.flags",
        "proc.pcmdline",
        "fd.directory",
        "fd.l4proto",
        "fd.typechar",
        "fd.type",
        "evt.arg.path",
        "fd.lport",
        "fd.rport",
        "container.mount.dest",
        "evt.arg.name",
        "evt.res",
        "proc.pexe",
        "evt.arg.oldpath",
        "proc.exe",
        "thread.cap_permitted",
        "evt.arg.uid",
        "evt.rawres",
        "evt.arg.newpath",
        "evt.arg.mode",
        "fd.net",
        "fd.num",
        "fd.sport",
        "k8s.ns.name",
        "fd.ip",
        "evt.arg.request",
        "proc.cwd",
        "container.id",
        "fd.sip.name",
        "evt.arg.filename",
        "evt.is_open_read",
        "fd.connected",
        "fd.filename",
        "fd.name_changed",
        "fd.sip",
        "fd.snet",
        "proc.env",
        "thread.cap_effective",
        "container.privileged",
        "evt.arg.cmd",
        "evt.arg.target",
        "evt.is_open_write",
        "evt.num",
        "fd.nameraw",
        "proc.vpid",
        "container.start_ts",
        "evt.args",
        "fd.cip.name",
        "group.gid",
        "group.name",
        "proc.pexepath",
        "proc.sname",
        "user.loginname",
        "container.mounts",
        "evt.arg.domain",
        "evt.arg.fd",
        "evt.arg.linkpath",
        "evt.buffer",
        "evt.is_open_exec",
        "fd.cip",
        "fd.cnet",
        "fd.lip.name",
        "fd.port",
        "fd.rip",
        "fd.rip.name",
        "fd.rnet",
        "fd.sockfamily",
        "k8s.pod.name",
        "proc.aexe",
        "proc.aexepath",
        "proc.duration",
        "proc.exe_ino.ctime",
        "proc.exe_ino.ctime_duration_proc_start",
        "proc.exe_ino.mtime",
        "proc.is_exe_from_memfd",
        "proc.is_exe_upper_layer",
        "proc.is_vpgid_leader",
    ];

    /// Field-with-argument usages in upstream conditions (§3.3).
    const UPSTREAM_ARGS: &[&str] = &[
        "container.mount.dest[/]",
        "container.mount.dest[/etc/kubernetes/manifests]",
        "container.mount.dest[/proc*]",
        "container.mount.dest[/var/run/docker.sock]",
        "proc.aexe[2]",
        "proc.aname[1]",
        "proc.aname[5]",
        "proc.env[HOME]",
    ];

    fn reg() -> &'static Registry {
        registry()
    }

    #[test]
    fn every_upstream_field_resolves() {
        assert_eq!(UPSTREAM.len(), 90);
        for name in UPSTREAM {
            // Fields with a required argument are used with one upstream; supply one here.
            let r = match *name {
                "container.mount.dest" => reg().resolve(name, Some("/etc")),
                _ => reg().resolve_text(name),
            };
            assert!(r.is_ok(), "{name}: {r:?}");
        }
        for text in UPSTREAM_ARGS {
            let r = reg().resolve_text(text).unwrap();
            assert_eq!(&r.key, text);
        }
    }

    #[test]
    fn names_are_unique_and_described() {
        let mut seen = std::collections::HashSet::new();
        for d in reg().descriptors() {
            assert!(seen.insert(d.name), "duplicate {}", d.name);
            assert!(!d.desc.is_empty(), "{} has no description", d.name);
            assert!(d.name.contains('.'), "{} has no dot", d.name);
        }
        assert!(reg().descriptors().len() > 150);
    }

    #[test]
    fn sample_types() {
        let ty = |n: &str| reg().resolve_text(n).unwrap().ty;
        assert_eq!(ty("fd.num"), FieldType::Int);
        assert_eq!(ty("proc.tty"), FieldType::Uint);
        assert_eq!(ty("user.loginuid"), FieldType::Int);
        assert_eq!(ty("user.uid"), FieldType::Uint);
        assert_eq!(ty("evt.res"), FieldType::Str);
        assert_eq!(ty("evt.rawres"), FieldType::Int);
        assert_eq!(ty("fd.sip"), FieldType::Ip);
        assert_eq!(ty("fd.net"), FieldType::IpNet);
        assert_eq!(ty("fd.snet"), FieldType::IpNet);
        assert_eq!(ty("fd.sport"), FieldType::Uint);
        assert_eq!(ty("fd.typechar"), FieldType::Str);
        assert_eq!(ty("evt.arg.uid"), FieldType::Str);
        assert_eq!(ty("container.privileged"), FieldType::Bool);
        assert_eq!(ty("evt.is_open_read"), FieldType::Bool);
        assert_eq!(ty("proc.apid[1]"), FieldType::Int);
        assert_eq!(ty("evt.buffer"), FieldType::Bytes);
        assert_eq!(ty("evt.rawtime"), FieldType::Uint);
    }

    #[test]
    fn filter_only_fields() {
        for n in [
            "fd.ip", "fd.port", "fd.net", "fd.cnet", "fd.snet", "fd.lnet", "fd.rnet", "fd.proto",
        ] {
            assert!(reg().lookup(n).unwrap().filter_only, "{n}");
        }
        for n in ["fd.cip", "fd.sip", "fd.sport", "proc.name"] {
            assert!(!reg().lookup(n).unwrap().filter_only, "{n}");
        }
    }

    #[test]
    fn dotted_arguments() {
        let r = reg().resolve("evt.arg.flags", None).unwrap();
        assert_eq!(
            (r.name, r.arg.as_deref(), r.key.as_str()),
            ("evt.arg", Some("flags"), "evt.arg.flags")
        );
        let b = reg().resolve("evt.arg", Some("flags")).unwrap();
        assert_eq!(r, b);
        assert_eq!(reg().resolve_text("evt.arg[flags]").unwrap(), r);
        let n = reg().resolve_text("evt.arg[0]").unwrap();
        assert_eq!(
            (n.arg.as_deref(), n.key.as_str()),
            (Some("0"), "evt.arg[0]")
        );
        // `evt.args` is its own field, not evt.arg + "s".
        assert_eq!(reg().resolve_text("evt.args").unwrap().name, "evt.args");
        let t = reg().resolve_text("evt.type.is.open").unwrap();
        assert_eq!((t.name, t.arg.as_deref()), ("evt.type.is", Some("open")));
        let c = reg().resolve_text("thread.cgroup.cpuacct").unwrap();
        assert_eq!(c.name, "thread.cgroup");
        assert_eq!(
            reg().resolve_text("thread.cgroups").unwrap().name,
            "thread.cgroups"
        );
        assert_eq!(
            reg().resolve("evt.arg", None).unwrap_err(),
            FieldError::RequiresArgument { field: "evt.arg" }
        );
        assert!(reg().resolve("evt.arg", Some("")).is_err());
    }

    #[test]
    fn ancestor_fields() {
        for name in ANCESTOR_FIELDS {
            let all = reg().resolve(name, None).unwrap();
            assert!(all.all_levels, "{name}");
            assert_eq!(all.arg, None);
            assert_eq!(all.key, *name);
            let one = reg().resolve(name, Some("2")).unwrap();
            assert!(!one.all_levels);
            assert_eq!(one.key, format!("{name}[2]"));
            assert_eq!(one.arg.as_deref(), Some("2"));
        }
        assert_eq!(
            reg().resolve_text("proc.aname[0]").unwrap().key,
            "proc.aname[0]"
        );
        assert_eq!(
            reg()
                .resolve("proc.aname", Some("x"))
                .unwrap_err()
                .to_string(),
            "field 'proc.aname' expects a numeric index, got 'x'"
        );
        assert!(reg().resolve("proc.aname", Some("-1")).is_err());
        assert!(reg().resolve_text("proc.aenv").unwrap().all_levels);
        let env = reg().resolve_text("proc.env").unwrap();
        assert!(!env.all_levels);
        assert!(!reg().resolve_text("fd.types").unwrap().all_levels);
        assert_eq!(
            reg().resolve_text("fd.types[0]").unwrap().key,
            "fd.types[0]"
        );
    }

    #[test]
    fn argument_rules() {
        assert_eq!(
            reg().resolve_text("proc.env[HOME]").unwrap().key,
            "proc.env[HOME]"
        );
        let m = reg().resolve_text("container.mount.dest[/etc]").unwrap();
        assert_eq!(
            (m.arg.as_deref(), m.key.as_str()),
            (Some("/etc"), "container.mount.dest[/etc]")
        );
        let e = reg().resolve("container.mount.dest", None).unwrap_err();
        assert_eq!(
            e,
            FieldError::RequiresArgument {
                field: "container.mount.dest"
            }
        );
        assert_eq!(
            e.to_string(),
            "field 'container.mount.dest' requires an argument"
        );
        // A field that takes no argument rejects one.
        let e = reg().resolve("proc.name", Some("1")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "filter_check called with nonexistent field proc.name[1]"
        );
        assert!(reg().resolve("proc.name.foo", None).is_err());
    }

    #[test]
    fn unknown_fields() {
        assert_eq!(
            reg().resolve("proc.nobody", None).unwrap_err().to_string(),
            "filter_check called with nonexistent field proc.nobody"
        );
        assert_eq!(
            reg().resolve_text("foo.bar[x]").unwrap_err().to_string(),
            "filter_check called with nonexistent field foo.bar[x]"
        );
        assert!(reg().resolve("", None).is_err());
        assert!(reg().resolve(".", None).is_err());
        assert!(reg().resolve("evt.arg.", None).is_err());
        assert!(reg().resolve_text("proc.aname[").is_err());
        assert!(reg().resolve_text("[]").is_err());
    }

    #[test]
    fn lookup_matches_table_scan() {
        for d in reg().descriptors() {
            assert_eq!(reg().lookup(d.name).map(|x| x.name), Some(d.name));
        }
        assert!(reg().lookup("proc.nobody").is_none());
    }
}
