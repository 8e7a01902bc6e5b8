#!/usr/bin/env bash
# Capture overhead benchmark for `quell run` (issue 3).
#
# For each syscall-heavy workload it runs ROUNDS rounds, each timing the
# workload alone and then under `quell run -r <upstream stable rules>`
# (adjacent runs, so that the machine's slow drifts cancel in each round's
# ratio); it reports the median times, the median of the rounds' ratios with
# their range, the events quell handled per run and per second, and the
# drops, and (host mode) quell's own CPU time while the workload ran, as a
# share of the workload's wall time. Mode `cmd` runs the workload as `quell run -- CMD` (only its tree is
# captured); mode `host` starts `quell run` watching the whole host, waits until
# it says it is watching, times the workload and stops it (MODES="cmd host").
#
# Usage (root): scripts/bench-capture.sh [--quick]
#   QUELL=path/to/quell  (default target/release/quell; built if missing)
#   BEFORE=path/to/quell (optional: an older build measured in the same run,
#                         for before/after columns; a wrapper script must be
#                         bash, not sh: dash drops the exported function the
#                         cmd-mode workload runs, and the row then reads -100 %)
#   RULES=rules.yaml     (default ../shared/corpus/falco-rules/falco_rules.yaml)
#   MODES="cmd host"     ROUNDS=7   WORKLOADS="open tmpfiles exec find tar build"
#   FLOOR=1              (also time each round with the hook attached but no
#                         syscall of interest: QUELL_CAPTURE_EMPTY_INTEREST=1,
#                         the cost of the sys_exit tracepoint alone)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-workloads.sh "$@"

# user+system CPU ticks a process has used so far
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# One timed run under `quell run`; prints the workload's ms and leaves quell's stderr in $tmp/err.
# $1 workload, $2 mode, $3 quell binary, $4 (optional) extra environment, e.g. QUELL_CAPTURE_EMPTY_INTEREST=1
run_with_quell() {
  local q=$3
  if [ "$2" = host ]; then
    env ${4:-} "$q" run -r "$RULES" > "$tmp/alerts" 2> "$tmp/err" &
    local qpid=$! i
    # ready when it says it is watching (older builds do not say: give them 3 s)
    for i in $(seq 30); do grep -q watching "$tmp/err" 2>/dev/null && break; sleep 0.1; done
    grep -q watching "$tmp/err" || sleep 3
    if ! kill -0 "$qpid" 2>/dev/null; then
      echo "bench-capture: quell run exited early:" >&2; cat "$tmp/err" >&2; exit 1
    fi
    sleep 0.5 # /proc seeding done, machine settled
    local c0 c1
    c0=$(cpu_ticks "$qpid")
    once "$1"
    c1=$(cpu_ticks "$qpid")
    echo $(( c1 - c0 )) > "$tmp/qcpu"
    kill -INT "$qpid"
    wait "$qpid" || true
  else
    env ${4:-} "$q" run -r "$RULES" -- bash -c "once $1 > $tmp/ms" > "$tmp/alerts" 2> "$tmp/err"
    cat "$tmp/ms"
  fi
}

# "events dropped" from the last run's summary line
summary() {
  local line
  line=$(grep -E '^quell: [0-9]+ events in' "$tmp/err" | tail -1)
  echo "$(echo "$line" | sed -E 's/^quell: ([0-9]+) events.*/\1/') $(echo "$line" | sed -E 's/.* ([0-9]+) dropped.*/\1/')"
}


export -f workload once
export N_OPEN N_EXEC N_FIND N_TMP tmp shm

ROUNDS=${ROUNDS:-7}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
hdr='| mode | workload | baseline ms (median) | with quell ms (median) | overhead (median of rounds) | range of rounds'
sep='|---|---|---|---|---|---'
[ -n "${BEFORE:-}" ] && { hdr="$hdr | before: overhead | before: dropped"; sep="$sep|---|---"; }
[ -n "${FLOOR:-}" ] && { hdr="$hdr | floor: hook only"; sep="$sep|---"; }
printf '%s | events per run | events/s | dropped | quell CPU (host mode) |\n%s|---|---|---|---|\n' "$hdr" "$sep"
tck=$(getconf CLK_TCK)
for mode in ${MODES:-cmd host}; do
  for w in ${WORKLOADS:-open tmpfiles exec find tar build}; do
    workload "$w" # warm caches
    : > "$tmp/rounds"
    ev_sum=0 dr_sum=0 odr_sum=0
    for r in $(seq "$ROUNDS"); do
      b=$(once "$w")
      echo - > "$tmp/qcpu"
      x=$(run_with_quell "$w" "$mode" "$QUELL"); read -r ev dr <<< "$(summary)"; qc=$(cat "$tmp/qcpu")
      ev_sum=$((ev_sum + ${ev:-0})); dr_sum=$((dr_sum + ${dr:-0}))
      o=- fl=-
      if [ -n "${BEFORE:-}" ]; then
        o=$(run_with_quell "$w" "$mode" "$BEFORE"); read -r _ odr <<< "$(summary)"; odr_sum=$((odr_sum + ${odr:-0}))
      fi
      if [ -n "${FLOOR:-}" ]; then
        fl=$(run_with_quell "$w" "$mode" "$QUELL" QUELL_CAPTURE_EMPTY_INTEREST=1)
      fi
      echo "$b $x $o $fl $qc" >> "$tmp/rounds"
    done
    mb=$(awk '{print $1}' "$tmp/rounds" | median); mx=$(awk '{print $2}' "$tmp/rounds" | median)
    ov=$(awk '{print ($2 / $1 - 1) * 100}' "$tmp/rounds" | median)
    lo=$(awk '{print ($2 / $1 - 1) * 100}' "$tmp/rounds" | sort -g | head -1)
    hi=$(awk '{print ($2 / $1 - 1) * 100}' "$tmp/rounds" | sort -g | tail -1)
    row=$(printf '| %s | %s | %.0f | %.0f | %+.1f%% | %+.1f%% .. %+.1f%%' "$mode" "$w" "$mb" "$mx" "$ov" "$lo" "$hi")
    if [ -n "${BEFORE:-}" ]; then
      oov=$(awk '{print ($3 / $1 - 1) * 100}' "$tmp/rounds" | median)
      row="$row $(printf '| %+.1f%% | %d' "$oov" "$odr_sum")"
    fi
    if [ -n "${FLOOR:-}" ]; then
      fov=$(awk '{print ($4 / $1 - 1) * 100}' "$tmp/rounds" | median)
      row="$row $(printf '| %+.1f%%' "$fov")"
    fi
    # events/s: the events of one run over the with-quell median time
    # quell's own CPU time (user + system) while the workload ran, as a share of the workload's wall time
    qcpu=-
    if [ "$mode" = host ]; then
      qcpu=$(awk -v t="$tck" '{print $5 * 1000 / t / $2 * 100}' "$tmp/rounds" | median)
      qcpu=$(printf '%.0f%%' "$qcpu")
    fi
    echo "$row $(awk -v e="$ev_sum" -v r="$ROUNDS" -v x="$mx" -v d="$dr_sum" 'BEGIN { printf "| %d | %.0f | %d |", e / r, (e / r) / (x / 1000), d }') $qcpu |"
  done
done
echo
echo "kernel $(uname -r), $(nproc) CPUs, $ROUNDS rounds, rules: $(basename "$RULES"), quell: $QUELL${BEFORE:+, before: $BEFORE}, load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
