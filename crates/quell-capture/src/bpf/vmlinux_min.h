/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal hand-written kernel type declarations for quell's CO-RE BPF
 * program. Only the members the program reads are declared; libbpf relocates
 * every access against the running kernel's BTF (/sys/kernel/btf/vmlinux) at
 * load time, so member order and sizes here need not match the kernel.
 */
#ifndef QUELL_VMLINUX_MIN_H
#define QUELL_VMLINUX_MIN_H

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef int pid_t;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long di;
	unsigned long si;
	unsigned long dx;
	unsigned long r10;
	unsigned long r8;
	unsigned long r9;
	unsigned long orig_ax;
};

typedef struct { u32 val; } kuid_t;
typedef struct { u32 val; } kgid_t;
typedef struct { u64 val; } kernel_cap_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t euid;
	kgid_t egid;
	kernel_cap_t cap_inheritable;
	kernel_cap_t cap_permitted;
	kernel_cap_t cap_effective;
};

struct upid {
	int nr;
};

struct pid {
	unsigned int level;
	struct upid numbers[1];
};

struct tty_driver {
	int major;
	int minor_start;
};

struct tty_struct {
	int index;
	struct tty_driver *driver;
};

struct signal_struct {
	struct pid *pids[4];
	struct tty_struct *tty;
};

struct qstr {
	const unsigned char *name;
};

struct dentry {
	struct qstr d_name;
};

struct path {
	struct dentry *dentry;
};

struct super_block {
	unsigned long s_magic;
};

struct timespec64 {
	s64 tv_sec;
	long tv_nsec;
};

struct inode {
	unsigned short i_mode;
	unsigned long i_ino;
	struct super_block *i_sb;
	/* Linux >= 6.11: split seconds and nanoseconds */
	s64 i_mtime_sec;
	s64 i_ctime_sec;
	u32 i_mtime_nsec;
	u32 i_ctime_nsec;
};

/* Older layouts of the inode times, matched by CO-RE flavours (the part of
 * the name after ___ is ignored when relocating). */
struct inode___v67 {          /* 6.7 .. 6.10 */
	struct timespec64 __i_mtime;
	struct timespec64 __i_ctime;
};

struct inode___v66 {          /* 6.6 */
	struct timespec64 i_mtime;
	struct timespec64 __i_ctime;
};

struct inode___old {          /* before 6.6 */
	struct timespec64 i_mtime;
	struct timespec64 i_ctime;
};

/* fs/overlayfs/ovl_entry.h: an overlay inode embeds the VFS inode; an
 * inode with an upper-layer dentry was created or copied up in the upper
 * (writable) layer. Absent from kernels without overlayfs: guarded with
 * bpf_core_type_exists(). */
struct ovl_inode {
	struct inode vfs_inode;
	struct dentry *__upperdentry;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
	unsigned long *open_fds;
};

struct files_struct {
	struct fdtable *fdt;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	unsigned long env_start;
	unsigned long env_end;
	struct file *exe_file;
};

struct thread_info {
	u32 status;
};

struct kernfs_node {
	u64 id;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct css_set {
	struct cgroup *dfl_cgrp;
};

struct task_struct {
	struct css_set *cgroups;
	struct thread_info thread_info;
	struct mm_struct *mm;
	int exit_code;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct pid *thread_pid;
	u64 start_time;
	const struct cred *cred;
	char comm[16];
	struct files_struct *files;
	struct signal_struct *signal;
	kuid_t loginuid;
	unsigned int sessionid;
};

struct linux_binprm {
	struct file *file;
	const char *filename;
	const char *interp;
};

struct in6_addr {
	union {
		u8 u6_addr8[16];
	} in6_u;
};

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	u16 sk_protocol;
	u16 sk_type;
};

struct socket {
	short type;
	struct sock *sk;
};

#pragma clang attribute pop

#endif
