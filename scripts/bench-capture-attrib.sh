#!/usr/bin/env bash
# Where the capture's cost goes, by sampling: each workload runs under
# `perf record -e cpu-clock` (its own process tree), RUNS times with quell's
# programs detached and RUNS times attached (one host-mode `quell run` with
# QUELL_BENCH_TOGGLE=1, as in bench-capture-pairs.sh). Reported per workload:
# the workload's CPU time (samples) detached and attached, and the share of
# the attached runs' samples spent in the capture: the BPF programs, the
# helpers they call, and the tracepoint path every syscall takes while a
# program is attached (bpf_trace_run*, syscall_exit_work, ...). The share is
# measured within each run, so this VM's drifts, which swamp wall-clock
# ratios, barely move it; it misses indirect costs (caches the program
# evicts), which the wall-clock benchmarks include.
#
# Usage (root, needs perf): scripts/bench-capture-attrib.sh
#   QUELL=path/to/quell  RULES=rules.yaml  RUNS=3
#   WORKLOADS="tmpfiles tar build open"  sizes as in scripts/bench-workloads.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
command -v perf >/dev/null || { echo "bench-capture-attrib: needs perf (Debian: apt-get install linux-perf)" >&2; exit 2; }

. scripts/bench-workloads.sh "$@"
export -f workload
export N_OPEN N_EXEC N_FIND N_TMP tmp shm

toggled_quell
# the capture's symbols: BPF programs and helpers, the tracepoint path
CAPTURE='bpf_prog_|bpf_trace_run|__bpf_trace_|syscall_exit_work|syscall_trace_enter|bpf_get_current_task|bpf_probe_read|strncpy_from_user_nofault|copy_from_kernel_nofault|htab_map|bpf_ringbuf|bpf_ktime|srso_'
# samples and the capture's share of them in one perf data file
measure() {
  perf record -q -e cpu-clock -F 4000 -o "$tmp/perf.data" -- bash -c "workload $1" > /dev/null 2>&1
  perf report -i "$tmp/perf.data" --no-children --sort sym -g none -n 2>/dev/null |
    awk -v re="$CAPTURE" '/^#/ || NF < 3 { next } { n += $2; if ($0 ~ re) c += $2 } END { printf "%d %.2f\n", n, c * 100 / n }'
}

echo "| workload | runs | CPU ms detached (median) | CPU ms attached (median) | attached / detached | capture's share of attached samples (median) | range |"
echo "|---|---|---|---|---|---|---|"
for w in ${WORKLOADS:-tmpfiles tar build open}; do
  workload "$w" # warm caches
  : > "$tmp/runs"
  for _ in $(seq "$RUNS"); do
    switch off; read -r off _ <<< "$(measure "$w")"
    switch on; read -r on share <<< "$(measure "$w")"
    echo "$off $on $share" >> "$tmp/runs"
  done
  mo=$(awk '{print $1 / 4}' "$tmp/runs" | median); ma=$(awk '{print $2 / 4}' "$tmp/runs" | median)
  sh=$(awk '{print $3}' "$tmp/runs" | median)
  lo=$(awk '{print $3}' "$tmp/runs" | sort -g | head -1); hi=$(awk '{print $3}' "$tmp/runs" | sort -g | tail -1)
  printf '| %s | %d | %.0f | %.0f | %+.1f%% | %.1f%% | %.1f .. %.1f%% |\n' "$w" "$RUNS" "$mo" "$ma" \
    "$(awk -v a="$ma" -v b="$mo" 'BEGIN { print (a / b - 1) * 100 }')" "$sh" "$lo" "$hi"
done
switch on
echo
echo "kernel $(uname -r), $(nproc) CPUs, $RUNS runs each, perf cpu-clock at 4 kHz, rules: $(basename "$RULES"), quell: $QUELL"
