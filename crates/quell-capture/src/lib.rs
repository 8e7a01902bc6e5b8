//! Live syscall capture with eBPF. Work in progress (issue 3).
