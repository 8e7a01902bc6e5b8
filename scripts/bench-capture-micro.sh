#!/usr/bin/env bash
# Capture overhead on two syscall-dense C loops (scripts/bench-loop.c), for
# comparing builds quickly: each round times the loop alone (best of 3) and
# then under each QUELL variant watching the host (best of 3), adjacent; it
# prints per variant the median over rounds of the overhead, and every round.
# Best-of-3 and adjacent baselines tame this VM's noise better than single
# runs of the longer workloads of bench-capture.sh; "fastest vs fastest"
# compares the fastest run of all rounds with quell to the fastest without
# (interference from other guests only ever adds time).
#
# Usage (root): scripts/bench-capture-micro.sh open|tmp QUELL... 
#   N=50000 (iterations; tmp: N/5)  ROUNDS=5  BEST=3 (runs per measurement)
#   RULES=rules.yaml (default ../shared/corpus/falco-rules/falco_rules.yaml)
# A QUELL variant may be a bash wrapper that sets environment variables, e.g.
# QUELL_CAPTURE_NO_PREFILTER=1 or QUELL_CAPTURE_EMPTY_INTEREST=1.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in open|tmp) shift ;; *) echo "usage: $0 open|tmp QUELL..." >&2; exit 2 ;; esac
[ $# -gt 0 ] || { echo "usage: $0 open|tmp QUELL..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench-capture-micro: live capture needs root" >&2; exit 2; }
RULES=${RULES:-../shared/corpus/falco-rules/falco_rules.yaml}
N=${N:-50000}; [ "$mode" = tmp ] && N=$((N / 5))
ROUNDS=${ROUNDS:-5}
BEST=${BEST:-3}
tmp=$(mktemp -d); dir=/dev/shm/quell-micro.$$
trap 'rm -rf "$tmp" "$dir"' EXIT
mkdir -p "$dir"
cc -O2 -o "$tmp/loop" scripts/bench-loop.c
best() { for _ in $(seq "$BEST"); do "$tmp/loop" "$mode" "$N" "$dir"; done | sort -n | head -1; }
: > "$tmp/out"
for r in $(seq "$ROUNDS"); do
  for q in "$@"; do
    b=$(best)
    "$q" run -r "$RULES" > /dev/null 2> "$tmp/err" & qp=$!
    for _ in $(seq 50); do grep -q watching "$tmp/err" && break; sleep 0.1; done
    grep -q watching "$tmp/err" || { echo "bench-capture-micro: $q did not start:" >&2; cat "$tmp/err" >&2; exit 1; }
    sleep 0.3
    x=$(best)
    kill -INT "$qp"; wait "$qp" || true
    echo "$q $b $x" >> "$tmp/out"
  done
done
echo "loop $mode, N=$N, $ROUNDS rounds, kernel $(uname -r), $(nproc) CPUs, rules $(basename "$RULES")"
for q in "$@"; do
  all=$(awk -v q="$q" '$1 == q { printf "%+.1f ", ($3 / $2 - 1) * 100 }' "$tmp/out")
  med=$(awk -v q="$q" '$1 == q { print ($3 / $2 - 1) * 100 }' "$tmp/out" | sort -g | awk '{ v[NR] = $1 } END { printf "%+.1f", v[int((NR + 1) / 2)] }')
  base=$(awk -v q="$q" '$1 == q { print $2 }' "$tmp/out" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  mins=$(awk -v q="$q" '$1 == q { if (b == "" || $2 < b) b = $2; if (x == "" || $3 < x) x = $3 } END { printf "%+.1f%% (%d vs %d ns)", (x / b - 1) * 100, x, b }' "$tmp/out")
  echo "$q: median overhead $med% (baseline median $base ns/iteration); fastest vs fastest $mins; rounds: $all"
done
