#!/bin/sh
# Replay and triage throughput of quell against an older build, both measured in the same run.
#   scripts/bench-fastread.sh OLD_QUELL [NEW_QUELL]
# OLD_QUELL: a release build of the code to compare with, e.g. main built in another directory:
#   git worktree add /tmp/quell-main main && cargo build --release --manifest-path /tmp/quell-main/Cargo.toml
# NEW_QUELL defaults to target/release/quell (cargo build --release -p quell).
# Environment: REPLAY_LINES (500000), TRIAGE_RECORDS (200000; 0 skips triage), INSTR_LINES (0;
#   N > 0 also counts the instructions each build executes to replay the first N lines, with
#   valgrind's cachegrind, less those of replaying an empty file (loading the rules): a figure
#   the machine's load does not move, printed per line and as a ratio).
# Replay: the 502Error corpus events repeated to REPLAY_LINES lines,
#   quell replay -r falco_rules.yaml --json FILE
# Triage: the recording crates/quell-triage/benches/triage_large.sh builds (live corpus recordings
#   repeated with shifted sessions, pids and times), quell triage -q --json with the stable and
#   incubating rules.
# The two builds' outputs must be identical (the script fails otherwise). Printed per build: user and
# system CPU seconds, wall seconds, peak RSS, records per CPU-second; then new/old as a ratio.
# Needs: /usr/bin/time, python3 and gzip (triage input); valgrind for INSTR_LINES. Temporary files go to ${TMPDIR:-/tmp}
# and are removed.
set -eu
OLD=${1:?usage: scripts/bench-fastread.sh OLD_QUELL [NEW_QUELL]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NEW=${2:-$ROOT/target/release/quell}
RULES_DIR=$ROOT/../shared/corpus/falco-rules
N=${REPLAY_LINES:-500000}
T=${TRIAGE_RECORDS:-200000}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/quell-bench-fastread.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# run NAME BIN RECORDS ARGS...: one measured run; its output's checksum in $TMP/NAME.sum
run() {
    name=$1 bin=$2 records=$3
    shift 3
    /usr/bin/time -o "$TMP/$name.time" -f "%U %S %e %M" "$bin" "$@" 2>/dev/null | md5sum > "$TMP/$name.sum"
    read -r user sys wall rss < "$TMP/$name.time"
    awk -v n="$name" -v u="$user" -v s="$sys" -v w="$wall" -v m="$rss" -v r="$records" 'BEGIN {
        printf "%-14s user %6.2f s  sys %5.2f s  wall %6.2f s  peak RSS %7.1f MB  %9.0f records per CPU-second\n",
            n, u, s, w, m / 1024, r / (u + s) }'
    echo "$user $sys" > "$TMP/$name.cpu"
}

ratio() {
    read -r ou os < "$TMP/$1.cpu"
    read -r nu ns < "$TMP/$2.cpu"
    awk -v o="$ou $os" -v n="$nu $ns" 'BEGIN { split(o, a); split(n, b);
        printf "  new is %.2fx the old build'"'"'s records per CPU-second\n", (a[1] + a[2]) / (b[1] + b[2]) }'
    cmp -s "$TMP/$1.sum" "$TMP/$2.sum" || { echo "  OUTPUTS DIFFER"; exit 1; }
    echo "  outputs identical"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "old: $OLD"
echo "new: $NEW"

EVENTS=$ROOT/../shared/corpus/events/502Error.jsonl
per=$(wc -l < "$EVENTS")
i=0
while [ $((i * per)) -lt "$N" ]; do cat "$EVENTS"; i=$((i + 1)); done | head -n "$N" > "$TMP/replay.jsonl"
echo "replay: $N lines ($(wc -c < "$TMP/replay.jsonl") bytes), falco_rules.yaml"
for which in old new; do
    if [ $which = old ]; then bin=$OLD; else bin=$NEW; fi
    run "replay-$which" "$bin" "$N" replay -r "$RULES_DIR/falco_rules.yaml" --json "$TMP/replay.jsonl"
done
ratio replay-old replay-new

I=${INSTR_LINES:-0}
if [ "$I" -gt 0 ]; then
    # instr BIN FILE: instructions executed by `quell replay` of FILE
    instr() {
        valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$1" replay \
            -r "$RULES_DIR/falco_rules.yaml" --json "$2" 2>&1 >/dev/null |
            sed -n 's/.*I *refs: *//p' | tr -d ,
    }
    head -n "$I" "$TMP/replay.jsonl" > "$TMP/instr.jsonl"
    : > "$TMP/empty.jsonl"
    echo "instructions (cachegrind), replay of the first $I lines less an empty replay:"
    for which in old new; do
        if [ $which = old ]; then bin=$OLD; else bin=$NEW; fi
        all=$(instr "$bin" "$TMP/instr.jsonl")
        fixed=$(instr "$bin" "$TMP/empty.jsonl")
        echo "$all $fixed" > "$TMP/instr-$which"
        awk -v n="$which" -v a="$all" -v f="$fixed" -v l="$I" 'BEGIN {
            printf "%-14s %13.0f instructions, %11.0f of them loading the rules: %7.0f per line\n",
                "replay-" n, a, f, (a - f) / l }'
    done
    read -r oa of < "$TMP/instr-old"
    read -r na nf < "$TMP/instr-new"
    awk -v o="$((oa - of))" -v n="$((na - nf))" 'BEGIN {
        printf "  new executes %.2fx fewer instructions per line than the old build\n", o / n }'
fi
rm -f "$TMP/replay.jsonl"

if [ "$T" -gt 0 ]; then
    REC=$(TMPDIR=$TMP GEN_ONLY=1 sh "$ROOT/crates/quell-triage/benches/triage_large.sh" "$T" | tail -n 1)
    echo "triage: $T records ($(wc -c < "$REC") bytes), falco_rules.yaml + falco-incubating_rules.yaml"
    for which in old new; do
        if [ $which = old ]; then bin=$OLD; else bin=$NEW; fi
        run "triage-$which" "$bin" "$T" triage -q --json -r "$RULES_DIR/falco_rules.yaml" \
            -r "$RULES_DIR/falco-incubating_rules.yaml" "$REC"
    done
    ratio triage-old triage-new
fi
