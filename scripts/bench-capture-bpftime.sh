#!/usr/bin/env bash
# The capture program's own time on the temp-file loop, for comparing builds
# of the BPF program: with kernel.bpf_stats_enabled=1 the kernel sums the
# run time of every program run, so each variant's host-mode `quell run`
# reports the sys_exit program's nanoseconds per loop iteration (and its runs
# per iteration), whatever else the VM is doing to the workload's wall time.
# Variants run in turn, REPS times, each for ROUNDS loops of N iterations;
# printed per variant: the mean over its measurements, then each one.
# bpf_stats itself adds two clock reads to every run (~1,000 ns per
# iteration of 15 syscalls here), the same for every variant: compare
# differences, not absolute figures.
#
# Usage (root, needs bpftool): scripts/bench-capture-bpftime.sh QUELL...
#   N=40000  ROUNDS=2  REPS=3  RULES=rules.yaml
# A variant may be a wrapper script that sets environment variables, e.g.
# QUELL_CAPTURE_EMPTY_INTEREST=1 (the hook alone); other builds are copies
# of target/release/quell made at other commits, or with clang flags of
# one's own (QUELL_BPF_CFLAGS=-D... cargo build --release -p quell).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 QUELL... (quell binaries or wrapper scripts to compare)" >&2; exit 2; }
command -v bpftool >/dev/null || { echo "bench-capture-bpftime: needs bpftool (Debian: apt-get install bpftool)" >&2; exit 2; }
for q in "$@"; do [ -x "$q" ] || { echo "bench-capture-bpftime: $q is not an executable" >&2; exit 2; }; done
N=${N:-40000}
ROUNDS=${ROUNDS:-2}
REPS=${REPS:-3}
. scripts/bench-workloads.sh
N_TMP=$N

stats_before=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -q kernel.bpf_stats_enabled="$stats_before"; [ -n "${qp:-}" ] && kill -INT "$qp" 2>/dev/null; rm -rf "$tmp" "$shm"' EXIT
sysctl -q kernel.bpf_stats_enabled=1

# one measurement: mean BPF ns per iteration over ROUNDS loops
measure() {
  local q=$1 id r t0 c0 t1 c1 sum=0 runs=0
  "$q" run -r "$RULES" > "$tmp/alerts" 2> "$tmp/err" &
  qp=$!
  for _ in $(seq 300); do grep -q watching "$tmp/err" && break; sleep 0.1; done
  if ! grep -q watching "$tmp/err"; then
    echo "bench-capture-bpftime: $q did not start:" >&2; cat "$tmp/err" >&2; exit 1
  fi
  sleep 0.5
  id=$(bpftool prog show | awk -F: '/quell_sys_exit/ { print $1; exit }')
  [ -n "$id" ] || { echo "bench-capture-bpftime: no quell_sys_exit program loaded" >&2; exit 1; }
  rt() { bpftool prog show id "$id" | grep -o 'run_time_ns [0-9]* run_cnt [0-9]*' | awk '{ print $2, $4 }'; }
  for r in $(seq "$ROUNDS"); do
    read -r t0 c0 <<< "$(rt)"
    workload tmpfiles
    read -r t1 c1 <<< "$(rt)"
    sum=$((sum + (t1 - t0) / N)); runs=$((runs + (c1 - c0) / N))
  done
  kill -INT "$qp"; wait "$qp" || true; qp=
  echo "$((sum / ROUNDS)) $((runs / ROUNDS))"
}

: > "$tmp/m"
for _ in $(seq "$REPS"); do
  for q in "$@"; do echo "$q $(measure "$q")" >> "$tmp/m"; done
done
echo "| variant | BPF ns per iteration (mean) | each measurement | program runs per iteration |"
echo "|---|---|---|---|"
for q in "$@"; do
  awk -v q="$q" '$1 == q { s += $2; n++; all = all (all ? ", " : "") $2; runs = $3 }
    END { printf "| %s | %.0f | %s | %d |\n", q, s / n, all, runs }' "$tmp/m"
done
echo
echo "kernel $(uname -r), $(nproc) CPUs, temp-file loop of $N iterations, $ROUNDS loops per measurement, $REPS measurements per variant, rules: $(basename "$RULES")"
