/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * quell's capture program: a BTF tracepoint on sys_exit (arguments and task
 * fields are read with direct loads, not helper calls: it runs on every
 * syscall) and raw tracepoints on sched_process_{fork,exec,exit}. Every record starts with `struct qhdr` and is
 * followed by up to QBLOBS variable-length blobs whose lengths are in the
 * header. Records go to one BPF ring buffer per CPU (an array of maps filled
 * from userspace). The layout is mirrored by `src/wire.rs`.
 */
#include "vmlinux_min.h"
#include "quell_gen.h" /* NR_* and the record layout, from src/table.rs */
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define QBLOBS 5
/* The environment sent with an exec record is bounded as Falco bounds it
 * (MAX_PROC_ARG_ENV in its drivers): 4096 bytes, the first variables kept. */
#define MAX_ENV 4096
#define MAX_STR 4096
#define SCRATCH (1 << 15)
#define HALF (SCRATCH >> 1)
#define OFF(o) ((o) & (HALF - 1))
#define NSYSCALLS 512
#define RINGBUF_BYTES (8 << 20)
#define TS_COMPAT 0x0002
#define WAKEUP_BYTES (256 << 10)
#define BPF_RB_NO_WAKEUP 1
#define BPF_RB_FORCE_WAKEUP 2
#define BPF_RB_AVAIL_DATA 0

enum qkind {
	QK_SYSCALL = 0,
	QK_EXEC = 1,
	QK_FORK = 2,
	QK_EXIT = 3,
};

struct qhdr {
	u64 ts;            /* bpf_ktime_get_boot_ns */
	u64 cgroup_id;     /* cgroup v2 id of the current task */
	s64 res;           /* syscall return value; child tid for fork; exit code for exit */
	u64 args[6];       /* raw syscall arguments (see wire.rs for other kinds) */
	u32 tid;
	u32 tgid;
	u32 uid;           /* effective uid */
	u32 gid;           /* effective gid */
	u16 kind;
	u16 sysno;
	u16 blob_len[QBLOBS];
	u16 _pad;
};

/* Process details sent with exec and fork records (blob 2 / blob 0). */
struct qproc {
	u32 ppid;
	u32 loginuid;
	u32 tty;
	u32 sid;
	u32 vpid;
	u32 vtid;
	u32 pidns_level;
	u32 ruid;
	u32 rgid;
	u32 flags;
	u64 cap_inheritable;
	u64 cap_permitted;
	u64 cap_effective;
	u64 exe_ino;
	u64 start_time;
	char comm[16];
	u64 exe_ctime;     /* exec records only: the executable's ctime, ns since the epoch */
	u64 exe_mtime;     /* ... and mtime */
};

/* qproc.flags */
#define QP_UPPER_KNOWN 1   /* whether the exe is in an overlayfs upper layer is known */
#define QP_UPPER 2         /* ... and it is */
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* Socket tuple for fd-based network syscalls. Ports in host order. */
struct qtuple {
	u16 family;
	u16 type;
	u16 proto;
	u16 lport;
	u16 rport;
	u16 _pad;
	u8 laddr[16];
	u8 raddr[16];
};

/* The layout wire.rs decodes (src/table.rs, through quell_gen.h). */
_Static_assert(sizeof(struct qhdr) == QUELL_HDR_LEN, "struct qhdr differs from table.rs HDR_LEN");
_Static_assert(QBLOBS == QUELL_BLOBS, "QBLOBS differs from table.rs BLOBS");
_Static_assert(__builtin_offsetof(struct qhdr, kind) == QUELL_HDR_KIND_OFF, "qhdr.kind offset");
_Static_assert(__builtin_offsetof(struct qhdr, sysno) == QUELL_HDR_KIND_OFF + 2, "qhdr.sysno offset");
_Static_assert(__builtin_offsetof(struct qhdr, blob_len) == QUELL_HDR_BLOB_LEN_OFF, "qhdr.blob_len offset");
_Static_assert(__builtin_offsetof(struct qproc, comm) == QUELL_PROC_LEN, "qproc body length");
_Static_assert(__builtin_offsetof(struct qproc, exe_ctime) == QUELL_PROC_WITH_COMM_LEN, "qproc with comm");
_Static_assert(sizeof(struct qproc) == QUELL_PROC_EXT_LEN, "struct qproc size");
_Static_assert(sizeof(struct qtuple) == QUELL_TUPLE_LEN, "struct qtuple size");

struct qcfg {
	u32 self_tgid;
	u32 follow;        /* 1: only the tree below `spawner` */
	u32 spawner;
	u32 skip_closes;   /* 1: closes of fds userspace never saw stay here */
	u32 paths_only;    /* 1: benchmark state, see the sys_exit program */
};

struct qstats {
	u64 seen;
	u64 emitted;
	u64 dropped;
	u64 filtered;      /* opens no rule can need, left in the kernel */
	u64 unwoken;       /* bytes written since the consumer was last woken */
	u64 closes_skipped; /* closes of fds userspace never heard of, left in the kernel */
};

/* Which fds userspace may know, per fd table (key: the files_struct
 * address, shared by threads and CLONE_FILES processes). A close of an fd
 * whose bit is clear is left in the kernel: no record ever put that fd in
 * userspace's table (opens the prefilter dropped, fds of calls quell does not
 * capture). The bits are a superset: set when the table is created at fork
 * (every fd then open) and when a record that adds an fd is emitted; cleared
 * when that fd's close is emitted. A table without an entry (processes older
 * than quell) gets one at its first close, from the fds open then; fds beyond
 * FDBITS have every close emitted. */
#define FDBITS 1024
struct fdknown {
	u64 w[FDBITS / 64];
};

/* The open prefilter (userspace: src/prefilter.rs, which also models this
 * code for its tests). An open whose path is absolute and clean (no "//",
 * no segment starting with ".", no trailing slash) is dropped when no atom
 * of the rules' necessary condition can hold for it: a prefix of a length in
 * the length bitmap whose hash is in the bloom filter, the whole path's hash
 * in the bloom filter, its last four bytes' hash in the bloom filter (suffix
 * atoms), or a byte pair that starts a substring atom. One forward walk,
 * eight bytes at a time. */
#define PF_MAX 255
#define PF_WORDS 32
struct qpathf {
	u8 active[4];          /* open, openat, openat2, creat: 1 = filter */
	u8 first[4];           /* first bytes of substring atoms (unused slots repeat one) */
	u8 first_mode;         /* 0: no substring atom, 1: first[] holds their first bytes, 2: too many, every word */
	u8 bigram_shift;       /* bigram bit: (pair * BIGRAM_MUL) >> shift (32 - log2 of the bits used) */
	u8 _pad[2];
	u32 bloom_mask;        /* bloom bits used - 1 (a power of two - 1): few atoms, few cache lines */
	u8 prefix_len[32];     /* bit k: some prefix atom is k + 1 bytes long */
	u8 bigram[8192];       /* bit of hashed (a << 8 | b): some substring atom starts with a, b */
	u8 bloom[8192];        /* two bits per (kind, length, hash) */
};

struct scratch {
	u8 buf[SCRATCH];
};

struct ringbuf_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, u32);
	__array(values, struct ringbuf_map);
} ringbufs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* The syscalls the loaded rules (and the state) need, one bit per x86_64
 * number: a global in its own data section, so the check every syscall exit
 * makes is one load from a fixed address in one cache line (an array map of
 * u8 spreads 512 entries over 64 lines, and the lines a workload's syscalls
 * hit were cache misses in perf profiles). Userspace fills it before loading. */
u64 interest[NSYSCALLS / 64] SEC(".data.interest");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct qcfg);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct qstats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u32);
	__type(value, u8);
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct qpathf);
} pathfilter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);
	__type(value, struct fdknown);
} fdknown SEC(".maps");

/* The fds this CPU's current thread got from opens the prefilter dropped
 * and has not closed since: their closes stay in the kernel without a
 * lookup in `fdknown` (a map lookup is a call, and a call costs ~30 ns
 * with return-thunk mitigations; the common pattern, open then close on
 * the same thread, needs none). Valid while `fdgen` is what it was when the
 * mask was started: every record that puts an fd in userspace's table, and
 * every thread exit (after which its id and fd table may be reused), moves
 * it on, so a stale or reused entry is never trusted. An fd in the mask is unknown to userspace: the open that
 * returned it was dropped, so any earlier fd of that number was closed, and
 * no record has named the number since (that record would have moved
 * `fdgen`). A miss falls back to `fdknown`. */
struct fdcache {
	u64 files;   /* the fd table (address) */
	u64 gen;     /* fdgen when the mask was started */
	u64 dropped; /* bit n: fd n */
	u32 tid;
	u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct fdcache);
} fdcache_map SEC(".maps");

u64 fdgen = 0;

static __always_inline void fdgen_bump(void)
{
	__sync_fetch_and_add(&fdgen, 1);
}

/* Notes fd, just returned by a dropped open of thread t. */
static __always_inline void fdcache_add(struct task_struct *t, long fd)
{
	u32 zero = 0;
	struct fdcache *c = bpf_map_lookup_elem(&fdcache_map, &zero);
	u64 g = *(volatile u64 *)&fdgen;
	if (!c || fd < 0 || fd >= 64)
		return;
	if (c->files != (u64)t->files || c->tid != (u32)t->pid || c->gen != g) {
		c->files = (u64)t->files;
		c->tid = t->pid;
		c->gen = g;
		c->dropped = 0;
	}
	c->dropped |= 1ULL << fd;
}

/* Whether the close of fd by thread t can stay in the kernel because the
 * cache knows fd came from a dropped open (and forgets it); false means
 * "ask fdknown". */
static __always_inline bool fdcache_close(struct task_struct *t, long fd)
{
	u32 zero = 0;
	struct fdcache *c = bpf_map_lookup_elem(&fdcache_map, &zero);
	u64 m;
	if (!c || fd < 0 || fd >= 64)
		return false;
	m = 1ULL << fd;
	if (!(c->dropped & m) || c->files != (u64)t->files || c->tid != (u32)t->pid ||
	    c->gen != *(volatile u64 *)&fdgen)
		return false;
	c->dropped &= ~m;
	return true;
}

/* Atomic OR and AND on a bitmap word (BPF_ATOMIC, Linux >= 5.12): threads
 * of one process update their table's bits from several CPUs at once, and a
 * plain read-modify-write could lose a set bit (a close left in the kernel
 * whose fd userspace knows). Inline assembly, because clang emits these only
 * with -mcpu=v3, whose code the verifier took 15 s instead of 1 s to load. */
static __always_inline void atomic_or64(u64 *p, u64 v)
{
	asm volatile("lock *(u64 *)(%0 + 0) |= %1" : : "r"(p), "r"(v) : "memory");
}

static __always_inline void atomic_and64(u64 *p, u64 v)
{
	asm volatile("lock *(u64 *)(%0 + 0) &= %1" : : "r"(p), "r"(v) : "memory");
}

/* Starts the entry of fd table `fs` from the fds open in it now (every one
 * of them may be known to userspace: a superset of what it knows), or
 * removes it when the table cannot be read. A `fresh` table (just made by a
 * fork) replaces whatever entry its address had; otherwise an entry another
 * CPU made in the meantime keeps its bits and gains these. */
static __always_inline void fdknown_seed(struct files_struct *fs, bool fresh)
{
	struct fdknown k = {};
	struct fdknown *e;
	struct fdtable *fdt = BPF_CORE_READ(fs, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	unsigned long *bits = BPF_CORE_READ(fdt, open_fds);
	u64 key = (u64)fs;
	u32 n = max >= FDBITS ? FDBITS / 8 : max / 8;
	if (!(n >= 8 && n <= FDBITS / 8 && bits &&
	      bpf_probe_read_kernel(&k, n & (FDBITS / 8 * 2 - 1), bits) == 0)) {
		bpf_map_delete_elem(&fdknown, &key);
		return;
	}
	if (bpf_map_update_elem(&fdknown, &key, &k, fresh ? BPF_ANY : BPF_NOEXIST) == 0)
		return;
	e = bpf_map_lookup_elem(&fdknown, &key);
	if (e)
		for (int i = 0; i < FDBITS / 64; i++)
			atomic_or64(&e->w[i], k.w[i]);
}

/* Marks fd as possibly known to userspace in the current fd table. A table
 * without an entry gets one (the fd is open, so among its bits): otherwise a
 * close on another thread could start the entry from an older view of the
 * table that misses this fd. */
static __always_inline void fd_mark(struct task_struct *t, long fd)
{
	u64 key = (u64)t->files;
	struct fdknown *k;
	fdgen_bump();
	if (fd < 0 || fd >= FDBITS)
		return;
	k = bpf_map_lookup_elem(&fdknown, &key);
	if (k)
		atomic_or64(&k->w[(fd >> 6) & (FDBITS / 64 - 1)], 1ULL << (fd & 63));
	else
		fdknown_seed(t->files, false);
}

/* Whether a close of fd must be emitted; clears its bit when it is. */
static __always_inline bool fd_close_needed(struct task_struct *t, long fd)
{
	u64 key = (u64)t->files;
	struct fdknown *k;
	u64 m;
	if (fd < 0 || fd >= FDBITS)
		return true;
	k = bpf_map_lookup_elem(&fdknown, &key);
	if (!k) {
		/* The first close in a table quell saw no fork for (a process
		 * older than quell, or started while detached, or an entry the
		 * LRU evicted): this close is emitted, and the table's entry
		 * starts from the fds open now (the closed one is no longer
		 * among them), so later closes of fds no record named stay here. */
		fdknown_seed(t->files, false);
		return true;
	}
	m = 1ULL << (fd & 63);
	if (!(k->w[(fd >> 6) & (FDBITS / 64 - 1)] & m))
		return false;
	atomic_and64(&k->w[(fd >> 6) & (FDBITS / 64 - 1)], ~m);
	return true;
}

static __always_inline struct qstats *get_stats(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline struct qcfg *get_cfg(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&config, &zero);
}

/* Whether events of thread group `tgid` are wanted. */
static __always_inline bool wanted(struct qcfg *cfg, u32 tgid)
{
	if (tgid == cfg->self_tgid)
		return false;
	if (cfg->follow && !bpf_map_lookup_elem(&tracked, &tgid))
		return false;
	return true;
}

static __always_inline u8 *get_scratch(void)
{
	u32 cpu = bpf_get_smp_processor_id();
	/* One scratch area per CPU: the array map is sized to the number of CPUs
	 * by userspace; fall back to slot 0 when it is smaller. */
	u8 *p = bpf_map_lookup_elem(&scratch_map, &cpu);
	if (!p) {
		u32 zero = 0;
		p = bpf_map_lookup_elem(&scratch_map, &zero);
	}
	return p;
}

/* The header without uid/gid (see fill_hdr and the sys_exit program). */
static __always_inline void fill_hdr_ids(struct qhdr *h, u16 kind, u64 pt)
{
	h->ts = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->tid = (u32)pt;
	h->tgid = pt >> 32;
	h->kind = kind;
	h->sysno = 0;
	h->res = 0;
	for (int i = 0; i < QBLOBS; i++)
		h->blob_len[i] = 0;
	h->_pad = 0;
}

static __always_inline void fill_hdr(struct qhdr *h, u16 kind)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	fill_hdr_ids(h, kind, bpf_get_current_pid_tgid());
	h->uid = BPF_CORE_READ(t, cred, euid.val);
	h->gid = BPF_CORE_READ(t, cred, egid.val);
}

static __always_inline void submit_st(struct qstats *st, u8 *buf, u32 len)
{
	u32 cpu = bpf_get_smp_processor_id();
	void *rb = bpf_map_lookup_elem(&ringbufs, &cpu);
	u64 flags;
	if (len > SCRATCH)
		len = SCRATCH;
	if (!rb) {
		u32 zero = 0;
		rb = bpf_map_lookup_elem(&ringbufs, &zero);
	}
	if (!rb) {
		if (st)
			st->dropped++;
		return;
	}
	/* Wake the consumer once per WAKEUP_BYTES written: a wakeup (irq_work)
	 * costs the producing CPU several microseconds, more than the record
	 * itself, and so does asking the ring how much data waits (every helper
	 * call is dear with return-thunk mitigations). Userspace also polls with
	 * a timeout, so quiet periods still get delivered. */
	flags = BPF_RB_NO_WAKEUP;
	if (st) {
		st->unwoken += len;
		if (st->unwoken >= WAKEUP_BYTES) {
			st->unwoken = 0;
			flags = BPF_RB_FORCE_WAKEUP;
		}
	}
	if (bpf_ringbuf_output(rb, buf, len & (SCRATCH - 1), flags) < 0) {
		if (st)
			st->dropped++;
	} else if (st) {
		st->emitted++;
	}
}

static __always_inline void submit(u8 *buf, u32 len)
{
	submit_st(get_stats(), buf, len);
}

static __always_inline u32 clamp_len(long n)
{
	if (n < 0)
		return 0;
	if (n > MAX_STR)
		return MAX_STR;
	return (u32)n;
}

static __always_inline void put_user_str(u8 *buf, struct qhdr *h, u32 *off, int idx, const void *ptr)
{
	long n = 0;
	if (ptr)
		n = bpf_probe_read_user_str(&buf[OFF(*off)], MAX_STR, ptr);
	u32 l = clamp_len(n);
	if (idx >= 0 && idx < QBLOBS)
		h->blob_len[idx] = l;
	*off += l;
}

static __always_inline void put_kernel_str(u8 *buf, struct qhdr *h, u32 *off, int idx, const void *ptr, u32 max)
{
	long n = 0;
	if (max > MAX_STR)
		max = MAX_STR;
	if (ptr)
		n = bpf_probe_read_kernel_str(&buf[OFF(*off)], max & (MAX_STR * 2 - 1), ptr);
	u32 l = clamp_len(n);
	if (idx >= 0 && idx < QBLOBS)
		h->blob_len[idx] = l;
	*off += l;
}

static __always_inline void put_user_bytes(u8 *buf, struct qhdr *h, u32 *off, int idx, const void *ptr, u64 len)
{
	u32 l = len > MAX_STR ? MAX_STR : (u32)len;
	if (!ptr)
		l = 0;
	if (l && bpf_probe_read_user(&buf[OFF(*off)], l & (MAX_STR * 2 - 1), ptr) < 0)
		l = 0;
	if (idx >= 0 && idx < QBLOBS)
		h->blob_len[idx] = l;
	*off += l;
}

static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	unsigned int max;
	struct file **arr;
	struct file *f = 0;
	if (!fdt || fd < 0)
		return 0;
	max = BPF_CORE_READ(fdt, max_fds);
	if ((u64)fd >= max)
		return 0;
	arr = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_INET 2
#define AF_INET6 10

/* Fills `tu` from the socket behind `fd`; returns 0 when fd is no socket. */
static __always_inline int sock_tuple(long fd, struct qtuple *tu)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file *f = fd_file(t, fd);
	struct socket *so;
	struct sock *sk;
	unsigned short mode;
	if (!f)
		return 0;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	so = BPF_CORE_READ(f, private_data);
	if (!so)
		return 0;
	sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return 0;
	__builtin_memset(tu, 0, sizeof(*tu));
	tu->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	tu->type = BPF_CORE_READ(sk, sk_type);
	tu->proto = BPF_CORE_READ(sk, sk_protocol);
	tu->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	tu->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (tu->family == AF_INET) {
		u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		u32 b = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(tu->laddr, &a, 4);
		__builtin_memcpy(tu->raddr, &b, 4);
	} else if (tu->family == AF_INET6) {
		BPF_CORE_READ_INTO(&tu->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&tu->raddr, sk, __sk_common.skc_v6_daddr);
	}
	return 1;
}

static __always_inline void put_tuple(u8 *buf, struct qhdr *h, u32 *off, int idx, long fd)
{
	struct qtuple tu;
	u32 l = 0;
	if (sock_tuple(fd, &tu)) {
		bpf_probe_read_kernel(&buf[OFF(*off)], sizeof(tu), &tu);
		l = sizeof(tu);
	}
	if (idx >= 0 && idx < QBLOBS)
		h->blob_len[idx] = l;
	*off += l;
}

static __always_inline void put_sockaddr(u8 *buf, struct qhdr *h, u32 *off, int idx, const void *ptr, u64 len)
{
	if (len > 128)
		len = 128;
	put_user_bytes(buf, h, off, idx, ptr, len);
}

static __always_inline u32 pid_vnr(struct pid *p)
{
	unsigned int level;
	int nr = 0;
	if (!p)
		return 0;
	level = BPF_CORE_READ(p, level);
	if (level > 32)
		return 0;
	/* struct upid is { int nr; struct pid_namespace *ns; }: 16 bytes. */
	bpf_probe_read_kernel(&nr, sizeof(nr), (u8 *)__builtin_preserve_access_index(&p->numbers) + level * 16);
	return (u32)nr;
}

static __always_inline u32 tty_of(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	int index, major, minor;
	u32 dev;
	if (!tty)
		return 0;
	index = BPF_CORE_READ(tty, index);
	major = BPF_CORE_READ(tty, driver, major);
	minor = BPF_CORE_READ(tty, driver, minor_start) + index;
	/* new_encode_dev(MKDEV(major, minor)) */
	dev = ((u32)minor & 0xff) | (((u32)major & 0xfff) << 8) | (((u32)minor & ~0xffu) << 12);
	return dev;
}

/* The executable's inode times (ns since the epoch), across inode layouts. */
static __always_inline void exe_times(struct inode *ino, struct qproc *p)
{
	s64 cs = 0, ms = 0;
	long cn = 0, mn = 0;
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		cs = BPF_CORE_READ(ino, i_ctime_sec);
		cn = BPF_CORE_READ(ino, i_ctime_nsec);
		ms = BPF_CORE_READ(ino, i_mtime_sec);
		mn = BPF_CORE_READ(ino, i_mtime_nsec);
	} else if (bpf_core_field_exists(((struct inode___v67 *)ino)->__i_mtime)) {
		struct inode___v67 *i = (void *)ino;
		cs = BPF_CORE_READ(i, __i_ctime.tv_sec);
		cn = BPF_CORE_READ(i, __i_ctime.tv_nsec);
		ms = BPF_CORE_READ(i, __i_mtime.tv_sec);
		mn = BPF_CORE_READ(i, __i_mtime.tv_nsec);
	} else if (bpf_core_field_exists(((struct inode___v66 *)ino)->__i_ctime)) {
		struct inode___v66 *i = (void *)ino;
		cs = BPF_CORE_READ(i, __i_ctime.tv_sec);
		cn = BPF_CORE_READ(i, __i_ctime.tv_nsec);
		ms = BPF_CORE_READ(i, i_mtime.tv_sec);
		mn = BPF_CORE_READ(i, i_mtime.tv_nsec);
	} else if (bpf_core_field_exists(((struct inode___old *)ino)->i_ctime)) {
		struct inode___old *i = (void *)ino;
		cs = BPF_CORE_READ(i, i_ctime.tv_sec);
		cn = BPF_CORE_READ(i, i_ctime.tv_nsec);
		ms = BPF_CORE_READ(i, i_mtime.tv_sec);
		mn = BPF_CORE_READ(i, i_mtime.tv_nsec);
	}
	/* Since 6.13 bit 31 of i_ctime_nsec flags a queried (multigrain)
	 * timestamp; nanoseconds fit in 30 bits. */
	if (cs > 0)
		p->exe_ctime = (u64)cs * 1000000000ULL + ((u64)cn & 0x3fffffff);
	if (ms > 0)
		p->exe_mtime = (u64)ms * 1000000000ULL + ((u64)mn & 0x3fffffff);
}

/* Whether the executable is in an overlayfs upper layer: on overlayfs, the
 * file's inode is the `vfs_inode` embedded in a `struct ovl_inode`, whose
 * `__upperdentry` is set when the file was created or copied up in the upper
 * (writable) layer. Unknown (no QP_UPPER_KNOWN) when the kernel has no
 * overlayfs types. */
static __always_inline void exe_upper_layer(struct inode *ino, struct qproc *p)
{
	unsigned long magic = BPF_CORE_READ(ino, i_sb, s_magic);
	if (magic != OVERLAYFS_SUPER_MAGIC) {
		p->flags |= QP_UPPER_KNOWN; /* not on overlayfs: in no upper layer */
		return;
	}
	if (bpf_core_type_exists(struct ovl_inode)) {
		struct ovl_inode *oi = (void *)((u8 *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode));
		struct dentry *upper = BPF_CORE_READ(oi, __upperdentry);
		p->flags |= QP_UPPER_KNOWN;
		if (upper)
			p->flags |= QP_UPPER;
	}
}

static __always_inline void fill_proc(struct task_struct *t, struct qproc *p)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->ppid = BPF_CORE_READ(t, real_parent, tgid);
	p->loginuid = BPF_CORE_READ(t, loginuid.val);
	p->tty = tty_of(t);
	p->sid = pid_vnr(BPF_CORE_READ(t, signal, pids[3]));
	p->vpid = pid_vnr(BPF_CORE_READ(t, signal, pids[1]));
	p->vtid = pid_vnr(BPF_CORE_READ(t, thread_pid));
	p->pidns_level = BPF_CORE_READ(t, thread_pid, level);
	p->ruid = BPF_CORE_READ(t, cred, uid.val);
	p->rgid = BPF_CORE_READ(t, cred, gid.val);
	p->cap_inheritable = BPF_CORE_READ(t, cred, cap_inheritable.val);
	p->cap_permitted = BPF_CORE_READ(t, cred, cap_permitted.val);
	p->cap_effective = BPF_CORE_READ(t, cred, cap_effective.val);
	p->exe_ino = BPF_CORE_READ(t, mm, exe_file, f_inode, i_ino);
	p->start_time = BPF_CORE_READ(t, start_time);
	BPF_CORE_READ_STR_INTO(&p->comm, t, comm);
}

static __always_inline void put_proc(u8 *buf, struct qhdr *h, u32 *off, int idx, struct task_struct *t, bool exe)
{
	struct qproc p;
	fill_proc(t, &p);
	if (exe) {
		struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);
		if (ino) {
			exe_times(ino, &p);
			exe_upper_layer(ino, &p);
		}
	}
	bpf_probe_read_kernel(&buf[OFF(*off)], sizeof(p), &p);
	if (idx >= 0 && idx < QBLOBS)
		h->blob_len[idx] = sizeof(p);
	*off += sizeof(p);
}

/* fcntl commands that make a new fd (the NR_* numbers come from quell_gen.h). */
#define F_DUPFD 0
#define F_DUPFD_CLOEXEC 1030

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define WORD_MUL 0x9e3779b97f4a7c15ULL
#define BIGRAM_MUL 0x9e3779b1U
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define PF_EXACT 1
#define PF_PREFIX 2
#define PF_SUFFIX 3

static __always_inline u32 bit(const u8 *map, u32 i)
{
	return (map[(i >> 3) & 8191] >> (i & 7)) & 1;
}

/* Whether the bloom filter may hold (kind, len, h). */
static __always_inline u32 bloom_has(const struct qpathf *pf, u64 h, u64 kind, u64 len)
{
	u64 m = h ^ (kind << 56) ^ (len << 48);
	m ^= m >> 33;
	m *= 0xff51afd7ed558ccdULL;
	m ^= m >> 33;
	return bit(pf->bloom, m & pf->bloom_mask) & bit(pf->bloom, (m >> 32) & pf->bloom_mask);
}

/* The path hash takes eight bytes at a time (little-endian words, the
 * last one zero-padded): the hash of the first L bytes is
 * word_step(hash of the whole words before byte L, the word holding byte
 * L - 1 masked to its first bytes). */
static __always_inline u64 word_step(u64 h, u64 w)
{
	h = (h ^ w) * WORD_MUL;
	return h ^ (h >> 32);
}

/* 0x80 in every byte of w equal to c; may also mark a 0x01 byte above a
 * marked one (borrow), never misses one: extra marks only keep records. */
static __always_inline u64 bytes_eq(u64 w, u64 c)
{
	u64 x = w ^ (c * ONES);
	return (x - ONES) & ~x & HIGHS;
}

static __always_inline u64 low_bytes(u32 n)
{
	return n >= 8 ? ~0ULL : (1ULL << (n * 8)) - 1;
}

/* Whether an open whose path is in this CPU's scratch buffer right after
 * the header (blob 0), `len` bytes without the NUL, must be kept (1) or can
 * stay in the kernel (0). The walk goes a word (eight bytes) at a time:
 * "/." and "//" (unclean paths, always kept) and the first bytes of
 * substring atoms are found with word arithmetic, and only a word holding
 * such a first byte has its bigrams looked up. `len` is used for memory
 * offsets only before the loop and the loop's offsets are masked, so the
 * verifier needs no precise length and prunes the walk's states. Inlined:
 * a call costs ~30 ns with return-thunk mitigations. */
static __always_inline int pf_keep(u32 len)
{
	u32 zero = 0;
	const struct qpathf *pf = bpf_map_lookup_elem(&pathfilter, &zero);
	const u8 *buf = get_scratch();
	const u8 *p;
	u64 h = FNV_OFFSET, w, sl, ds, fm, z, carry_sl = 0, carry_f = 0, prev = 0, last4 = 0;
	u32 nw, k, keep = 0, mode, shift;
	if (!pf || !buf || len == 0 || len > PF_MAX)
		return 1;
	p = buf + sizeof(struct qhdr);
	if (p[0] != '/')
		return 1;
	if (len > 1 && p[(len - 1) & 0xff] == '/')
		return 1;
	if (len >= 4)
		last4 = *(const u32 *)(p + ((len - 4) & 0xff));
	mode = pf->first_mode;
	shift = pf->bigram_shift & 31;
	nw = (len + 7) >> 3;
	for (k = 0; k < PF_WORDS; k++) {
		u32 pl;
		if (k >= nw)
			break;
		w = *(const u64 *)(p + ((k << 3) & 0xf8));
		/* the bytes from the NUL on (the first zero byte: the borrow's
		 * extra marks are all above it) are cleared */
		z = bytes_eq(w, 0);
		w &= ((z & -z) >> 7) - 1;
		/* "//" or "/.": a slash followed by a slash or a dot */
		sl = bytes_eq(w, '/');
		ds = sl | bytes_eq(w, '.');
		if (((sl << 8) | carry_sl) & ds)
			return 1;
		carry_sl = sl >> 56;
		/* substring atoms: bigrams of the words that hold a first byte */
		fm = 0;
		if (mode == 1)
			fm = bytes_eq(w, pf->first[0]) | bytes_eq(w, pf->first[1]) |
			     bytes_eq(w, pf->first[2]) | bytes_eq(w, pf->first[3]);
		if (mode == 2 || fm || carry_f) {
			for (int j = 0; j < 8; j++) {
				u64 c = (w >> (j * 8)) & 0xff;
				keep |= bit(pf->bigram, (u32)((prev << 8) | c) * BIGRAM_MUL >> shift);
				prev = c;
			}
		}
		carry_f = fm >> 56;
		prev = w >> 56;
		/* prefix atoms ending in this word (a length past the path's end
		 * hashes its zero padding: never an atom's bytes) */
		pl = pf->prefix_len[k & 31];
		if (pl) {
			for (int j = 0; j < 8; j++)
				if ((pl >> j) & 1)
					keep |= bloom_has(pf, word_step(h, w & low_bytes(j + 1)), PF_PREFIX, k * 8 + j + 1);
		}
		h = word_step(h, w);
	}
	if (keep)
		return 1;
	if (bloom_has(pf, h, PF_EXACT, len))
		return 1;
	/* suffix atoms: the hash of the path's last four bytes */
	if (len >= 4 && bloom_has(pf, word_step(FNV_OFFSET, last4), PF_SUFFIX, 4))
		return 1;
	return 0;
}

#define O_DIRECTORY_FLAG 0200000
#define O_PATH_FLAG 010000000
#define O_ACCMODE_FLAGS 3
#define S_IFDIR 0040000

extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id) __ksym __weak;

/* How the directory check reads the fd array: 1, through the untrusted
 * read-only view recent verifiers give a pointer-to-pointer field (direct
 * loads that fault to zero, no helper call); 0, with bpf_probe_read_kernel
 * (older kernels reject the direct load). Userspace sets it before loading
 * and retries with 0 when the kernel refuses; the verifier skips the branch
 * a constant rules out. */
const volatile u32 fd_direct = 0;

/* Whether fd (just returned by an open) is a directory, or cannot be told:
 * it runs for every read-only open the prefilter would drop. */
static __always_inline bool fd_maybe_dir(struct task_struct *t, long fd)
{
	struct fdtable *fdt = t->files->fdt;
	struct file **arr;
	struct file *f = 0;
	if (!fdt || fd < 0 || fd >= fdt->max_fds)
		return true;
	arr = fdt->fd;
	if (fd_direct)
		f = arr[fd & 0xfffff];
	else if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]))
		return true;
	if (!f)
		return true;
	f = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	return (f->f_inode->i_mode & S_IFMT) == S_IFDIR;
}

/* An open the prefilter may drop: which slot of `active`, or -1. */
static __always_inline int pf_slot(u32 id)
{
	switch (id) {
	case NR_open:
		return 0;
	case NR_openat:
		return 1;
	case NR_openat2:
		return 2;
	case NR_creat:
		return 3;
	}
	return -1;
}

/* Whether this open can be left in the kernel: the filter is active for the
 * call, the path (in the scratch buffer after the header, `len` bytes with
 * the NUL) is outside every atom, and the call did not ask for or get a
 * directory, nor ask for a path-only fd (what later *at calls and fchdir
 * resolve against). */
static __always_inline bool pf_drop(struct task_struct *t, u32 id, int slot, long ret, const u64 *a, u32 len)
{
	u32 zero = 0;
	struct qpathf *pf = bpf_map_lookup_elem(&pathfilter, &zero);
	u64 flags = 0;
	if (!pf || !pf->active[slot & 3])
		return false;
	/* creat has no flags argument (O_CREAT|O_WRONLY|O_TRUNC); openat2's
	 * are the first field of struct open_how (kept when unreadable) */
	if (id == NR_open)
		flags = a[1];
	else if (id == NR_openat)
		flags = a[2];
	else if (id == NR_openat2 && bpf_probe_read_user(&flags, sizeof(flags), (void *)a[2]))
		return false;
	if (flags & (O_DIRECTORY_FLAG | O_PATH_FLAG))
		return false;
	if (len == 0 || pf_keep(len - 1))
		return false;
	/* a directory opened without O_DIRECTORY: kept (read-only opens only;
	 * an open for writing never returns a directory) */
	if (ret >= 0 && (flags & O_ACCMODE_FLAGS) == 0 && id != NR_creat && fd_maybe_dir(t, ret))
		return false;
	return true;
}

/* One syscall exit: `id` is the x86_64 number. */
static __always_inline int on_sys_exit(struct pt_regs *regs, long ret, u32 id)
{
	struct qcfg *cfg;
	struct qstats *st;
	struct task_struct *t;
	const struct cred *cred;
	u8 *buf;
	struct qhdr *h;
	u32 off;
	u64 a[6];
	u64 pt;
	u32 wi;
	int slot;
	u32 plen = 0;

	if (id >= NSYSCALLS)
		return 0;
	wi = id >> 6;
	barrier_var(wi); /* keep the mask: the verifier does not see id's bound here */
	if (!((interest[wi & (NSYSCALLS / 64 - 1)] >> (id & 63)) & 1))
		return 0;
	cfg = get_cfg();
	t = bpf_get_current_task_btf();
	pt = ((u64)(u32)t->tgid << 32) | (u32)t->pid;
	if (!cfg || !wanted(cfg, pt >> 32))
		return 0;
	if (t->thread_info.status & TS_COMPAT)
		return 0; /* 32-bit syscalls use another numbering: not handled */
	/* A benchmark state (Capture::set_paths_only): of the work on the
	 * syscalls of interest, only what every capture of rules on opened paths
	 * must do, reading each open's path; nothing is recorded. It measures
	 * how far below the full program any sound one could go. */
	if (cfg->paths_only) {
		if (pf_slot(id) >= 0 && (buf = get_scratch()))
			bpf_probe_read_user_str(buf + sizeof(struct qhdr), MAX_STR,
						(void *)(id == NR_open || id == NR_creat ? regs->di : regs->si));
		return 0;
	}
	/* fcntl: only the commands that make a new fd (F_DUPFD and
	 * F_DUPFD_CLOEXEC, as fts in grep -r and find use to keep directory
	 * fds) matter to the fd tables; every other command stays here. */
	if (id == NR_fcntl && regs->si != F_DUPFD && regs->si != F_DUPFD_CLOEXEC)
		return 0;
	/* A successful execve is reported by sched_process_exec. */
	if ((id == NR_execve || id == NR_execveat) && ret == 0)
		return 0;
	/* close is the most frequent call the state needs: successful ones
	 * only, as a bare header without the cgroup or credentials (userspace
	 * reads neither from a close record), written from the stack. */
	if (id == NR_close || id == NR_close_range) {
		struct qhdr ch;
		if (ret != 0)
			return 0;
		st = get_stats();
		if (id == NR_close && cfg->skip_closes &&
		    (fdcache_close(t, (long)(int)regs->di) || !fd_close_needed(t, (long)(int)regs->di))) {
			if (st)
				st->closes_skipped++;
			return 0;
		}
		if (st)
			st->seen++;
		__builtin_memset(&ch, 0, sizeof(ch));
		ch.ts = bpf_ktime_get_boot_ns();
		ch.tid = (u32)pt;
		ch.tgid = pt >> 32;
		ch.kind = QK_SYSCALL;
		ch.sysno = id;
		ch.args[0] = regs->di;
		if (id == NR_close_range) {
			ch.args[1] = regs->si;
			ch.args[2] = regs->dx;
		}
		submit_st(st, (u8 *)&ch, sizeof(ch));
		return 0;
	}
	st = get_stats();
	if (st)
		st->seen++;
	buf = get_scratch();
	if (!buf)
		return 0;
	a[0] = regs->di;
	a[1] = regs->si;
	a[2] = regs->dx;
	a[3] = regs->r10;
	a[4] = regs->r8;
	a[5] = regs->r9;
	/* An open's path first, read to where the record keeps it: the
	 * prefilter decides before the record is built, and on one path through
	 * the program, so the verifier walks the inlined prefilter once. */
	slot = pf_slot(id);
	if (slot >= 0) {
		plen = clamp_len(bpf_probe_read_user_str(&buf[sizeof(struct qhdr)], MAX_STR,
							 (void *)(id == NR_open || id == NR_creat ? a[0] : a[1])));
		if (pf_drop(t, id, slot, ret, a, plen)) {
			if (st)
				st->filtered++;
			if (ret >= 0 && cfg->skip_closes)
				fdcache_add(t, ret);
			return 0;
		}
	}
	h = (struct qhdr *)buf;
	/* the clock, cgroup and credentials are filled in once the record is kept */
	h->kind = QK_SYSCALL;
	for (int i = 0; i < QBLOBS; i++)
		h->blob_len[i] = 0;
	h->_pad = 0;
	h->sysno = id;
	h->res = ret;
	for (int i = 0; i < 6; i++)
		h->args[i] = a[i];
	off = sizeof(struct qhdr);

	switch (id) {
	case NR_open:
	case NR_creat:
	case NR_openat:
		h->blob_len[0] = plen;
		off += plen;
		break;
	case NR_openat2:
		h->blob_len[0] = plen;
		off += plen;
		/* struct open_how { u64 flags, mode, resolve; } */
		put_user_bytes(buf, h, &off, 1, (void *)a[2], 24);
		break;
	case NR_unlink:
	case NR_rmdir:
	case NR_mkdir:
	case NR_chdir:
	case NR_chmod:
	case NR_memfd_create:
	case NR_execve:
		put_user_str(buf, h, &off, 0, (void *)a[0]);
		break;
	case NR_unlinkat:
	case NR_mkdirat:
	case NR_fchmodat:
	case NR_fchmodat2:
	case NR_execveat:
		put_user_str(buf, h, &off, 0, (void *)a[1]);
		break;
	case NR_rename:
	case NR_link:
	case NR_symlink:
		put_user_str(buf, h, &off, 0, (void *)a[0]);
		put_user_str(buf, h, &off, 1, (void *)a[1]);
		break;
	case NR_renameat:
	case NR_renameat2:
	case NR_linkat:
		put_user_str(buf, h, &off, 0, (void *)a[1]);
		put_user_str(buf, h, &off, 1, (void *)a[3]);
		break;
	case NR_symlinkat:
		put_user_str(buf, h, &off, 0, (void *)a[0]);
		put_user_str(buf, h, &off, 1, (void *)a[2]);
		break;
	case NR_connect:
	case NR_bind:
		put_sockaddr(buf, h, &off, 0, (void *)a[1], a[2]);
		put_tuple(buf, h, &off, 1, (long)a[0]);
		break;
	case NR_sendto:
		put_sockaddr(buf, h, &off, 0, (void *)a[4], a[5]);
		put_tuple(buf, h, &off, 1, (long)a[0]);
		break;
	case NR_sendmsg:
	case NR_recvfrom:
	case NR_recvmsg:
	case NR_listen:
		put_tuple(buf, h, &off, 1, (long)a[0]);
		break;
	case NR_accept:
	case NR_accept4:
		put_tuple(buf, h, &off, 1, ret);
		break;
	case NR_pipe:
	case NR_pipe2:
	case NR_socketpair:
		if (ret == 0) {
			int fds[2] = {0, 0};
			u64 ino = 0;
			bpf_probe_read_user(fds, sizeof(fds), (void *)(id == NR_socketpair ? a[3] : a[0]));
			h->args[4] = (u32)fds[0];
			h->args[5] = (u32)fds[1];
			if (id != NR_socketpair) {
				struct file *f = fd_file(t, fds[0]);
				if (f)
					ino = BPF_CORE_READ(f, f_inode, i_ino);
			}
			h->args[3] = ino;
		}
		break;
	default:
		break;
	}
	h->ts = bpf_ktime_get_boot_ns();
	h->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	h->tid = t->pid;
	h->tgid = t->tgid;
	cred = t->cred;
	h->uid = cred->euid.val;
	h->gid = cred->egid.val;
	submit_st(st, buf, off);
	/* the fds this record puts in userspace's table (only tracked when
	 * closes of unknown fds are left in the kernel) */
	if (ret >= 0 && cfg->skip_closes) {
		switch (id) {
		case NR_open:
		case NR_openat:
		case NR_openat2:
		case NR_creat:
		case NR_socket:
		case NR_accept:
		case NR_accept4:
		case NR_dup:
		case NR_dup2:
		case NR_dup3:
		case NR_fcntl:
		case NR_memfd_create:
			fd_mark(t, ret);
			break;
		case NR_pipe:
		case NR_pipe2:
		case NR_socketpair:
			fd_mark(t, (long)(u32)h->args[4]);
			fd_mark(t, (long)(u32)h->args[5]);
			break;
		}
	}
	return 0;
}

/* Generic hook (the default): every syscall exit of every task runs it
 * (~70 ns for an uninteresting one, plus ~90 ns of tracepoint slow path). */
SEC("tp_btf/sys_exit")
int BPF_PROG(quell_sys_exit, struct pt_regs *regs, long ret)
{
	return on_sys_exit(regs, ret, (u32)regs->orig_ax);
}

/* Threads in a successful execveat, between sched_prepare_exec and
 * sched_process_exec (LRU: an entry left by a task killed in between ages out). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u8);
} execveat_tids SEC(".maps");

/* Linux >= 6.10: fires in begin_new_exec, before the ELF loader pretends the
 * call was a 64-bit execve (set_personality_64bit rewrites orig_ax). Optional:
 * userspace ignores a failed attach, and execs are then all reported as execve. */
SEC("raw_tp/sched_prepare_exec")
int BPF_PROG(quell_prepare_exec, struct task_struct *task, struct linux_binprm *bprm)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u8 one = 1;
	if (regs && BPF_CORE_READ(regs, orig_ax) == NR_execveat)
		bpf_map_update_elem(&execveat_tids, &tid, &one, BPF_ANY);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(quell_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct qcfg *cfg = get_cfg();
	struct qstats *st;
	struct task_struct *t;
	u8 *buf;
	struct qhdr *h;
	u32 off;
	unsigned long as, ae;
	u32 old_tid;
	if (!cfg || !wanted(cfg, bpf_get_current_pid_tgid() >> 32))
		return 0;
	st = get_stats();
	if (st)
		st->seen++;
	buf = get_scratch();
	if (!buf)
		return 0;
	t = (struct task_struct *)bpf_get_current_task();
	h = (struct qhdr *)buf;
	fill_hdr(h, QK_EXEC);
	/* execve or execveat: the ELF loader has rewritten orig_ax to execve by
	 * now, so sched_prepare_exec noted execveat under the old thread id */
	old_tid = old_pid;
	h->sysno = NR_execve;
	if (bpf_map_lookup_elem(&execveat_tids, &old_tid)) {
		h->sysno = NR_execveat;
		bpf_map_delete_elem(&execveat_tids, &old_tid);
	}
	h->args[0] = old_pid;
	off = sizeof(struct qhdr);
	put_kernel_str(buf, h, &off, 0, BPF_CORE_READ(bprm, filename), MAX_STR);
	as = BPF_CORE_READ(t, mm, arg_start);
	ae = BPF_CORE_READ(t, mm, arg_end);
	put_user_bytes(buf, h, &off, 1, (void *)as, ae > as ? ae - as : 0);
	put_proc(buf, h, &off, 2, t, true);
	put_kernel_str(buf, h, &off, 3, BPF_CORE_READ(t, mm, exe_file, f_path.dentry, d_name.name), 256);
	/* blob 4: the new image's environment (NUL-separated), at most MAX_ENV bytes */
	as = BPF_CORE_READ(t, mm, env_start);
	ae = BPF_CORE_READ(t, mm, env_end);
	put_user_bytes(buf, h, &off, 4, (void *)as, ae > as ? (ae - as > MAX_ENV ? MAX_ENV : ae - as) : 0);
	submit(buf, off);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(quell_fork, struct task_struct *parent, struct task_struct *child)
{
	struct qcfg *cfg = get_cfg();
	struct qstats *st;
	u8 *buf;
	struct qhdr *h;
	u32 off;
	u32 ptgid, ctgid;
	u8 one = 1;
	if (!cfg)
		return 0;
	ptgid = BPF_CORE_READ(parent, tgid);
	ctgid = BPF_CORE_READ(child, tgid);
	if (cfg->follow && ctgid != ptgid && ctgid != cfg->self_tgid &&
	    (ptgid == cfg->spawner || bpf_map_lookup_elem(&tracked, &ptgid)))
		bpf_map_update_elem(&tracked, &ctgid, &one, BPF_ANY);
	/* A new fd table: every fd open in it may be known to userspace (a copy
	 * of the parent's table). */
	{
		struct files_struct *cf = BPF_CORE_READ(child, files);
		struct files_struct *pfs = BPF_CORE_READ(parent, files);
		if (cfg->skip_closes && cf && cf != pfs &&
		    (!cfg->follow || bpf_map_lookup_elem(&tracked, &ctgid)))
			fdknown_seed(cf, true);
	}
	/* The fork that creates a followed child is reported too, so the child's
	 * state (cwd, fds) starts as a copy of its parent's. */
	if (!wanted(cfg, ptgid) &&
	    !(cfg->follow && ptgid == cfg->spawner && ctgid != ptgid && ctgid != cfg->self_tgid))
		return 0;
	st = get_stats();
	if (st)
		st->seen++;
	buf = get_scratch();
	if (!buf)
		return 0;
	h = (struct qhdr *)buf;
	fill_hdr(h, QK_FORK);
	h->res = BPF_CORE_READ(child, pid);
	h->args[0] = ctgid;
	off = sizeof(struct qhdr);
	put_proc(buf, h, &off, 0, child, false);
	submit(buf, off);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(quell_exit, struct task_struct *p, bool group_dead)
{
	struct qcfg *cfg = get_cfg();
	struct qstats *st;
	u8 *buf;
	struct qhdr *h;
	u64 pt = bpf_get_current_pid_tgid();
	u32 tgid = pt >> 32;
	u32 tid = (u32)pt;
	/* a thread that ends leaves no fdcache entry to trust: its id and fd
	 * table may be reused */
	if (cfg && cfg->skip_closes)
		fdgen_bump();
	if (!cfg || !wanted(cfg, tgid))
		return 0;
	/* Only the end of a whole process matters to the process table. */
	if (tid != tgid && !group_dead)
		return 0;
	st = get_stats();
	if (st)
		st->seen++;
	buf = get_scratch();
	if (buf) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		h = (struct qhdr *)buf;
		fill_hdr(h, QK_EXIT);
		h->res = BPF_CORE_READ(t, exit_code);
		h->args[0] = group_dead;
		submit(buf, sizeof(struct qhdr));
	}
	if (group_dead && cfg->follow)
		bpf_map_delete_elem(&tracked, &tgid);
	if (group_dead && cfg->skip_closes) {
		u64 key = (u64)BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), files);
		if (key)
			bpf_map_delete_elem(&fdknown, &key);
	}
	return 0;
}
