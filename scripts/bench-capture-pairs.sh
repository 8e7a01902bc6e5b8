#!/usr/bin/env bash
# Capture overhead of `quell run` watching the whole host, measured in pairs.
#
# One `quell run -r <rules>` runs for the whole benchmark with
# QUELL_BENCH_TOGGLE=1: SIGUSR1 detaches its BPF programs (no syscall pays the
# tracepoint then: the kernel turns its slow path off with the last probe),
# SIGUSR2 attaches them again, and quell acknowledges each switch on stderr.
# Each pair times the workload detached and attached, back to back, in
# alternating order (ABBA), so that this VM's drifts, which are larger than the
# effect, cancel in each pair's ratio instead of between restarts of quell.
# Per workload it reports the median of the pairs' ratios with its
# interquartile range, the fastest attached run against the fastest detached
# one, the events quell handled per attached run, and the drops.
#
# Usage (root): scripts/bench-capture-pairs.sh [--quick]
#   QUELL=path/to/quell  (default target/release/quell; built if missing)
#   RULES=rules.yaml     (default ../shared/corpus/falco-rules/falco_rules.yaml)
#   PAIRS=21             WORKLOADS="tmpfiles tar build open find exec"
#   sizes as in scripts/bench-workloads.sh (N_TMP, N_OPEN, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${PAIRS:-21}

. scripts/bench-workloads.sh "$@"

toggled_quell
quart() { sort -g | awk -v q="$1" '{ v[NR] = $1 } END { i = int(q * (NR - 1) + 1.5); print v[i] }'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| workload | pairs | detached ms (median) | attached ms (median) | overhead: median of pairs | interquartile range | fastest vs fastest | events per run | events/s | dropped |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for w in ${WORKLOADS:-tmpfiles tar build open find exec}; do
  switch off; workload "$w"; switch on; workload "$w" # warm caches
  : > "$tmp/pairs"
  switch off
  read -r ev0 dr0 <<< "$(counters)"
  for p in $(seq "$PAIRS"); do
    # detached between pairs; odd pairs time detached first, even ones attached first
    if [ $((p % 2)) = 1 ]; then
      off=$(once "$w"); switch on; on=$(once "$w"); switch off
    else
      switch on; on=$(once "$w"); switch off; off=$(once "$w")
    fi
    echo "$off $on" >> "$tmp/pairs"
  done
  read -r ev1 dr1 <<< "$(counters)"
  mo=$(awk '{print $1}' "$tmp/pairs" | median); ma=$(awk '{print $2}' "$tmp/pairs" | median)
  ratios() { awk '{print ($2 / $1 - 1) * 100}' "$tmp/pairs"; }
  md=$(ratios | median); q1=$(ratios | quart 0.25); q3=$(ratios | quart 0.75)
  fast=$(awk 'NR == 1 || $1 < b { b = $1 } NR == 1 || $2 < a { a = $2 } END { printf "%+.1f%% (%d vs %d ms)", (a / b - 1) * 100, a, b }' "$tmp/pairs")
  printf '| %s | %d | %.0f | %.0f | %+.1f%% | %+.1f%% .. %+.1f%% | %s | %d | %.0f | %d |\n' \
    "$w" "$PAIRS" "$mo" "$ma" "$md" "$q1" "$q3" "$fast" $(((ev1 - ev0) / PAIRS)) \
    "$(awk -v e="$(((ev1 - ev0) / PAIRS))" -v x="$ma" 'BEGIN { print e / (x / 1000) }')" $((dr1 - dr0))
done
kill -INT "$qpid"; wait "$qpid" || true
echo
echo "kernel $(uname -r), $(nproc) CPUs, $PAIRS pairs, rules: $(basename "$RULES"), quell: $QUELL, load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E '^quell: [0-9]+ events in' "$tmp/err" || true
