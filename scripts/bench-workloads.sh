# Workloads shared by the capture overhead benchmarks (bench-capture.sh,
# bench-capture-pairs.sh, bench-capture-attrib.sh, bench-capture-interleave.sh):
# source it from the repository root. It first checks what every one of them
# needs (root, perl, a quell binary: $QUELL, built if missing; $RULES), with
# messages named after the calling script ($bench_name). Then it sets $tmp (a
# scratch directory removed on exit) and $shm, defines `workload NAME` and
# `once NAME` (one timed run, in ms), and makes the tar and build inputs.
# Sizes: N_OPEN N_EXEC N_FIND N_TMP N_BUILD; `--quick` as $1 makes them small.
bench_name=$(basename "$0" .sh)
QUELL=${QUELL:-target/release/quell}
RULES=${RULES:-../shared/corpus/falco-rules/falco_rules.yaml}
if [ "$(id -u)" != 0 ]; then
  echo "$bench_name: live capture needs root; run it as root (e.g. sudo $0)" >&2
  exit 2
fi
command -v perl >/dev/null || { echo "$bench_name: perl is needed for the workloads" >&2; exit 2; }
[ -x "$QUELL" ] || cargo build --release -p quell >&2

N_OPEN=${N_OPEN:-300000}
N_EXEC=${N_EXEC:-1500}
N_FIND=${N_FIND:-3}
N_TMP=${N_TMP:-50000}
if [ "${1:-}" = "--quick" ]; then N_OPEN=50000; N_EXEC=300; N_FIND=1; N_TMP=10000; fi


tmp=$(mktemp -d)
shm=/dev/shm/quell-bench.$$
trap 'rm -rf "$tmp" "$shm"' EXIT

workload() {
  case "$1" in
    open) # open+close of a file, every open is an event the stable rules look at
      perl -e "for (1..$N_OPEN) { open(my \$f, '<', '/etc/hostname') or die; close \$f }" ;;
    tmpfiles) # the "loop of open/read/close and unlink of temporary files": create and write 4 KiB,
              # close, open and read it back, close, unlink; in a tmpfs scratch directory (no disk writeback noise)
      mkdir -p "$shm" && perl -e "my \$b = 'x' x 4096; for my \$i (1..$N_TMP) { my \$p = '$shm/t' . \$i . '.tmp';
        open(my \$w, '>', \$p) or die; print \$w \$b; close \$w; open(my \$r, '<', \$p) or die; my \$x = <\$r>; close \$r;
        unlink \$p or die }" && rm -rf "$shm" ;;
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

# one timed run of the workload, in ms
once() {
  local s e
  s=$(date +%s%N); workload "$1"; e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
}

# inputs of the tar and build workloads, made once
tar -cf "$tmp/src.tar" -C /usr include
mkdir -p "$tmp/build"
for i in $(seq "${N_BUILD:-40}"); do
  printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint f%d(const char *s) { char b[64]; snprintf(b, sizeof b, "%%s-%d", s); return (int)strlen(b) + atoi(s); }\n' "$i" "$i" > "$tmp/build/f$i.c"
done

# For the paired benchmarks: `toggled_quell` starts one host-mode
# `quell run` ($QUELL, $RULES) whose programs `switch on|off|hook|paths`
# attaches, detaches, attaches with no syscall of interest, or attaches
# reading open paths only (QUELL_BENCH_TOGGLE=1, SIGUSR2 / SIGUSR1 /
# SIGWINCH / SIGURG; quell acknowledges each
# switch on stderr, with its counters so far: see `counters`). quell is
# stopped on exit.
toggled_quell() {
  QUELL_BENCH_TOGGLE=1 "$QUELL" run -r "$RULES" > "$tmp/alerts" 2> "$tmp/err" &
  qpid=$!
  trap 'kill -INT "$qpid" 2>/dev/null || true; rm -rf "$tmp" "$shm"' EXIT
  for _ in $(seq 100); do grep -q watching "$tmp/err" && break; sleep 0.1; done
  if ! grep -q watching "$tmp/err"; then
    echo "$bench_name: quell run did not start:" >&2; cat "$tmp/err" >&2; exit 1
  fi
  sleep 0.5
}
acks() { grep -c 'quell: bench: ' "$tmp/err" || true; }
switch() {
  local n i
  n=$(acks)
  case "$1" in
    on) kill -USR2 "$qpid" ;;
    off) kill -USR1 "$qpid" ;;
    hook) kill -WINCH "$qpid" ;; # attached, no syscall of interest: the hook alone
    paths) kill -URG "$qpid" ;; # attached, reading open paths and recording nothing
  esac
  for i in $(seq 200); do [ "$(acks)" -gt "$n" ] && break; sleep 0.01; done
  if [ "$(acks)" -le "$n" ]; then
    echo "$bench_name: quell did not acknowledge the switch $1:" >&2; cat "$tmp/err" >&2; exit 1
  fi
  sleep 0.1
}
# events and drops so far, from the last acknowledgement
counters() { grep 'quell: bench: ' "$tmp/err" | tail -1 | sed -E 's/.*\(([0-9]+) events, ([0-9]+) dropped.*/\1 \2/'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
