#!/usr/bin/env bash
# Capture overhead benchmark for `quell run` (issue 3).
#
# For each syscall-heavy workload it measures, in one run, the workload's wall
# time without capture, with `quell run -r <upstream stable rules>`, and
# without capture again; it reports the ratio (with / mean of the two
# baselines), the events quell handled per second and the drops. Mode `cmd`
# runs the workload as `quell run -- CMD` (only its tree is captured); mode
# `host` watches the whole host while the workload runs (MODES="cmd host").
#
# Usage (root): scripts/bench-capture.sh [--quick]
#   QUELL=path/to/quell  (default target/release/quell; built if missing)
#   BEFORE=path/to/quell (optional: an older build measured in the same run,
#                         for before/after columns)
#   RULES=rules.yaml     (default ../shared/corpus/falco-rules/falco_rules.yaml)
#   MODES="cmd host"     REPS=3 (best of REPS runs per measurement)
set -euo pipefail
cd "$(dirname "$0")/.."

QUELL=${QUELL:-target/release/quell}
RULES=${RULES:-../shared/corpus/falco-rules/falco_rules.yaml}
N_OPEN=${N_OPEN:-300000}
N_EXEC=${N_EXEC:-1500}
N_FIND=${N_FIND:-3}
if [ "${1:-}" = "--quick" ]; then N_OPEN=50000; N_EXEC=300; N_FIND=1; fi

if [ "$(id -u)" != 0 ]; then
  echo "bench-capture: live capture needs root; run it as root (e.g. sudo $0)" >&2
  exit 2
fi
if [ ! -x "$QUELL" ]; then
  cargo build --release -p quell >&2
fi
command -v perl >/dev/null || { echo "bench-capture: perl is needed for the workloads" >&2; exit 2; }

tmp=$(mktemp -d)
shm=/dev/shm/quell-bench.$$
trap 'rm -rf "$tmp" "$shm"' EXIT

workload() {
  case "$1" in
    open) # open+close of a file, every open is an event the stable rules look at
      perl -e "for (1..$N_OPEN) { open(my \$f, '<', '/etc/hostname') or die; close \$f }" ;;
    exec) # fork+exec+exit, each one an execve the rules evaluate
      perl -e "for (1..$N_EXEC) { system('/bin/true') == 0 or die }" ;;
    find) # directory walk: getdents/newfstatat/openat(O_DIRECTORY) mix
      for _ in $(seq "$N_FIND"); do find /usr -xdev > /dev/null 2>&1 || true; done ;;
    tar) # archive extraction: /usr/include (~8,000 files) unpacked into a tmpfs scratch directory (no disk
         # writeback noise), then removed
      rm -rf "$shm" && mkdir "$shm" && tar -xf "$tmp/src.tar" -C "$shm" && rm -rf "$shm" ;;
    build) # a build: gcc compiles generated C files one by one (exec of cc1/as, header opens, object writes)
      for f in "$tmp"/build/*.c; do gcc -O0 -c "$f" -o "${f%.c}.o"; done ;;
  esac
}

# best of REPS runs, in ms (the machine may be shared: the minimum is the least disturbed)
ms() {
  local best=0 s e t
  for _ in $(seq "${REPS:-3}"); do
    s=$(date +%s%N); workload "$1"; e=$(date +%s%N); t=$(( (e - s) / 1000000 ))
    if [ "$best" = 0 ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  echo "$best"
}

run_with_quell() { # $1 workload, $2 mode, $3 quell binary; prints the workload's ms, leaves quell's stderr in $tmp/err
  local q=$3
  if [ "$2" = host ]; then
    "$q" run -r "$RULES" > "$tmp/alerts" 2> "$tmp/err" &
    local qpid=$!
    sleep 3 # load, attach and /proc seeding
    if ! kill -0 "$qpid" 2>/dev/null; then
      echo "bench-capture: quell run exited early:" >&2; cat "$tmp/err" >&2; exit 1
    fi
    ms "$1"
    sleep 1
    kill -INT "$qpid"
    wait "$qpid" || true
  else
    "$q" run -r "$RULES" -- bash -c "ms $1 > $tmp/ms" > "$tmp/alerts" 2> "$tmp/err"
    cat "$tmp/ms"
  fi
}

# "events dropped" from the last run's summary line
summary() {
  local line
  line=$(grep -E '^quell: [0-9]+ events in' "$tmp/err" | tail -1)
  echo "$(echo "$line" | sed -E 's/^quell: ([0-9]+) events.*/\1/') $(echo "$line" | sed -E 's/.* ([0-9]+) dropped.*/\1/')"
}
# inputs of the tar and build workloads, made once
tar -cf "$tmp/src.tar" -C /usr include
mkdir -p "$tmp/build"
for i in $(seq "${N_BUILD:-40}"); do
  printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint f%d(const char *s) { char b[64]; snprintf(b, sizeof b, "%%s-%d", s); return (int)strlen(b) + atoi(s); }\n' "$i" "$i" > "$tmp/build/f$i.c"
done
export -f workload ms
export N_OPEN N_EXEC N_FIND REPS tmp shm

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${BEFORE:-}" ]; then
  printf '| mode | workload | baseline ms (before/after) | before: with quell ms | before: overhead | before: dropped | with quell ms | overhead | quell events (all reps) | events/s during workload | dropped |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
else
  printf '| mode | workload | baseline ms (before/after) | with quell run ms | overhead | quell events (all reps) | events/s during workload | dropped |\n'
  printf '|---|---|---|---|---|---|---|---|\n'
fi
for mode in ${MODES:-cmd host}; do
  for w in ${WORKLOADS:-open exec find tar build}; do
    workload "$w" # warm caches
    b1=$(ms "$w")
    old="" old_dr=""
    if [ -n "${BEFORE:-}" ]; then
      old=$(run_with_quell "$w" "$mode" "$BEFORE")
      read -r _ old_dr <<< "$(summary)"
    fi
    with=$(run_with_quell "$w" "$mode" "$QUELL")
    read -r events dropped <<< "$(summary)"
    b2=$(ms "$w")
    # quell saw REPS repetitions of the workload; events/s is per repetition
    awk -v m="$mode" -v w="$w" -v b1="$b1" -v b2="$b2" -v x="$with" -v ev="$events" -v dr="$dropped" \
        -v old="$old" -v odr="$old_dr" -v reps="${REPS:-3}" 'BEGIN {
      base = (b1 + b2) / 2; ov = (x / base - 1) * 100;
      if (old != "") {
        oov = (old / base - 1) * 100;
        printf "| %s | %s | %d / %d | %d | %+.1f%% | %d | %d | %+.1f%% | %d | %.0f | %d |\n", m, w, b1, b2, old, oov, odr, x, ov, ev, ev / reps / (x / 1000), dr
      } else {
        printf "| %s | %s | %d / %d | %d | %+.1f%% | %d | %.0f | %d |\n", m, w, b1, b2, x, ov, ev, ev / reps / (x / 1000), dr
      }
    }'
  done
done
echo
echo "kernel $(uname -r), $(nproc) CPUs, rules: $(basename "$RULES"), quell: $QUELL${BEFORE:+, before: $BEFORE}, load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
