# Workloads shared by the capture overhead benchmarks (bench-capture.sh,
# bench-capture-pairs.sh): source it from the repository root. Sets $tmp (a
# scratch directory removed on exit) and $shm, defines `workload NAME` and
# `once NAME` (one timed run, in ms), and makes the tar and build inputs.
# Sizes: N_OPEN N_EXEC N_FIND N_TMP N_BUILD; `--quick` as $1 makes them small.
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
