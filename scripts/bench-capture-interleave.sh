#!/usr/bin/env bash
# Capture overhead of `quell run` watching the whole host, measured inside one
# long run of a loop workload while quell's programs are switched on and off
# every WINDOW seconds.
#
# The paired benchmark (bench-capture-pairs.sh) compares whole runs of a few
# seconds; this VM's speed drifts by more than the effect between runs, which
# leaves an interquartile range of ~15 points on each ratio. Here the loop
# (perl) writes a progress mark (time, iterations done) every MARK iterations,
# one `quell run` with QUELL_BENCH_TOGGLE=1 detaches (SIGUSR1) and re-attaches
# (SIGUSR2) its BPF programs every WINDOW seconds, and each window's rate of
# iterations comes from the marks inside it (SETTLE seconds after quell has
# acknowledged the switch, so the switch itself is left out). Each attached
# window is compared with the mean of the nearest detached windows on either
# side of it: drifts slower than a few windows cancel. Reported per state: the
# median of those slowdowns with their interquartile range, the slowdown of
# all the state's time against all detached time, the windows used, and
# quell's events and drops.
#
# Usage (root): scripts/bench-capture-interleave.sh [tmpfiles|open]...
#   QUELL=path/to/quell  (default target/release/quell; built if missing)
#   RULES=rules.yaml     (default ../shared/corpus/falco-rules/falco_rules.yaml)
#   DURATION=60 (seconds per workload)  WINDOW=0.5  SETTLE=0.05  MARK=200
#   CYCLE="off on" (states in turn; "off hook on" adds windows with the
#   programs attached but no syscall of interest, which splits the overhead
#   into the hook's floor and the work on interesting syscalls; "paths" adds
#   windows where the programs only read each open's path, the least work
#   any capture of rules on opened paths does)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60}
WINDOW=${WINDOW:-0.5}
SETTLE=${SETTLE:-0.05}
MARK=${MARK:-200}
# the states cycled through: off (detached), on (attached), hook (attached,
# no syscall of interest: what the hook alone costs), paths (attached,
# reading open paths only)
read -r -a CYCLE <<< "${CYCLE:-off on}"
for c in "${CYCLE[@]}"; do
  case "$c" in off|on|hook|paths) ;; *) echo "bench-capture-interleave: unknown state '$c' in CYCLE (off, on, hook, paths)" >&2; exit 2 ;; esac
done
case " ${CYCLE[*]} " in *" off "*) ;; *) echo "bench-capture-interleave: CYCLE needs 'off' (the baseline)" >&2; exit 2 ;; esac
for w in "${@:-tmpfiles}"; do
  case "$w" in tmpfiles|open) ;; *) echo "bench-capture-interleave: unknown workload '$w' (tmpfiles, open)" >&2; exit 2 ;; esac
done

. scripts/bench-workloads.sh

# The loop runs until DURATION seconds have passed, marking its progress.
loop() {
  local body
  case "$1" in
    tmpfiles) # as in bench-workloads.sh: create and write 4 KiB, read it back, unlink; in tmpfs
      mkdir -p "$shm"
      body="my \$p = '$shm/t' . \$i . '.tmp'; open(my \$w, '>', \$p) or die; print \$w \$b; close \$w;
            open(my \$r, '<', \$p) or die; my \$x = <\$r>; close \$r; unlink \$p or die;" ;;
    open) body="open(my \$f, '<', '/etc/hostname') or die; close \$f;" ;;
  esac
  perl -MTime::HiRes=time -e "
    \$| = 1; my \$b = 'x' x 4096; my \$end = time + $DURATION; my \$i = 0;
    while (1) { \$i++; $body
      if (\$i % $MARK == 0) { my \$t = time; printf \"%.6f %d\n\", \$t, \$i; last if \$t > \$end } }" > "$tmp/marks"
}

now() { perl -MTime::HiRes=time -e 'printf "%.6f\n", time'; }

toggled_quell
echo "| workload | state | windows | median slowdown (vs the detached windows on either side) | interquartile range | all windows of the state vs all detached | events/s | dropped |"
echo "|---|---|---|---|---|---|---|---|"
for w in "${@:-tmpfiles}"; do
  switch off
  read -r ev0 dr0 <<< "$(counters)"
  loop "$w" & lp=$!
  : > "$tmp/windows"
  k=0
  while kill -0 "$lp" 2>/dev/null; do
    state=${CYCLE[$((k % ${#CYCLE[@]}))]}; k=$((k + 1))
    switch "$state"
    s=$(now)
    sleep "$WINDOW"
    echo "$state $s $(now)" >> "$tmp/windows"
  done
  wait "$lp"
  switch off
  read -r ev1 dr1 <<< "$(counters)"
  MARKS="$tmp/marks" WINDOWS="$tmp/windows" W="$w" perl -e '
    my ($settle, $events, $dropped) = @ARGV;
    open my $m, "<", $ENV{MARKS} or die; my @m = map { [split] } <$m>;
    open my $f, "<", $ENV{WINDOWS} or die; my (@w, %time);
    for (<$f>) {
      my ($s, $a, $b) = split; $time{$s} += $b - $a; $a += $settle;
      my @in = grep { $_->[0] >= $a && $_->[0] <= $b } @m;
      push @w, @in >= 2 ? { s => $s, n => $in[-1][1] - $in[0][1], t => $in[-1][0] - $in[0][0] } : { s => $s } }
    my (%r, %n, %t);
    for my $k (0 .. $#w) {
      my $c = $w[$k]; next unless $c->{t};
      $n{$c->{s}} += $c->{n}; $t{$c->{s}} += $c->{t};
      next if $c->{s} eq "off";
      my ($p) = grep { $w[$_]{s} eq "off" } reverse 0 .. $k - 1; my ($q) = grep { $w[$_]{s} eq "off" } $k + 1 .. $#w;
      next unless defined $p && defined $q && $w[$p]{t} && $w[$q]{t};
      my $off = ($w[$p]{n} / $w[$p]{t} + $w[$q]{n} / $w[$q]{t}) / 2;
      push @{ $r{$c->{s}} }, $off / ($c->{n} / $c->{t}) - 1 }
    for my $s (grep { $r{$_} } qw(hook paths on)) {
      my @r = sort { $a <=> $b } @{ $r{$s} };
      my $label = { on => "attached", hook => "hook only", paths => "paths only" }->{$s};
      if (@r < 3) { print STDERR "bench-capture-interleave: too few $label windows with marks inside (a longer DURATION, or a smaller MARK)\n"; next }
      my $q = sub { my $x = $_[0] * $#r; my $lo = int $x; $r[$lo] + ($x - $lo) * (($r[$lo + 1] // $r[$lo]) - $r[$lo]) };
      my $all = ($n{off} / $t{off}) / ($n{$s} / $t{$s}) - 1;
      printf "| %s | %s | %d | %+.1f%% | %+.1f .. %+.1f%% | %+.1f%% | %s | %s |\n", $ENV{W}, $label,
        scalar @r, 100 * $q->(0.5), 100 * $q->(0.25), 100 * $q->(0.75), 100 * $all,
        $s eq "on" ? sprintf("%.0f", $events / $time{on}) : "", $s eq "on" ? $dropped : "" }
  ' "$SETTLE" "$((ev1 - ev0))" "$((dr1 - dr0))"
  rm -rf "$shm"
done
switch on
echo
echo "kernel $(uname -r), $(nproc) CPUs, $DURATION s per workload, cycle: ${CYCLE[*]}, windows of $WINDOW s (first $SETTLE s left out), a mark every $MARK iterations, rules: $(basename "$RULES"), quell: $QUELL"
