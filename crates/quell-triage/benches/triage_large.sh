#!/bin/sh
# Triage of a large synthetic recording: time and peak RSS (GNU time -v).
#   crates/quell-triage/benches/triage_large.sh [RECORDS]   (default 1000000)
# The recording is made of the live corpus recordings (crates/quell/tests/*/recordings), repeated
# with each copy's session ids, pids and times shifted so that copies are separate sessions.
# Needs: a release build (cargo build --release -p quell), python3, gzip, /usr/bin/time.
# GEN_ONLY=1: only write the recording (its path is the last line printed) and keep it.
# IN=FILE: use an existing recording (from GEN_ONLY) instead of writing one; it is kept.
# OLD=BINARY: also time another build (a baseline) on the same recording in the same run,
#   before the new one, and compare the two outputs (identical cluster reports or not).
# QUELL=BINARY: the build under test (default: this tree's target/release/quell).
# The load average is printed before each run: the machine may be shared.
set -eu
N=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=${IN:-${TMPDIR:-/tmp}/quell-triage-large-$N.jsonl}
QUELL=${QUELL:-$ROOT/target/release/quell}
[ -n "${IN:-}" ] || python3 - "$ROOT" "$N" "$OUT" <<'PY'
import glob, gzip, json, sys
root, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = sorted(glob.glob(root + "/crates/quell/tests/**/recordings/**/*.jsonl.gz", recursive=True))
lines = []
for f in files:
    with gzip.open(f, "rt") as g:
        lines.extend(l for l in g if l.strip())
written, copy = 0, 0
with open(out, "w") as o:
    while written < n:
        for l in lines:
            if written >= n:
                break
            e = json.loads(l)
            for k in ("proc.sid", "proc.pid", "proc.ppid", "proc.vpid", "thread.tid"):
                if isinstance(e.get(k), int):
                    e[k] += copy * 1000000
            if isinstance(e.get("evt.rawtime"), int):
                e["evt.rawtime"] += copy * 3600 * 10**9
            o.write(json.dumps(e, separators=(",", ":")) + "\n")
            written += 1
        copy += 1
PY
ls -l "$OUT"
if [ -n "${GEN_ONLY:-}" ]; then echo "$OUT"; exit 0; fi
RULES="-r $ROOT/../shared/corpus/falco-rules/falco_rules.yaml -r $ROOT/../shared/corpus/falco-rules/falco-incubating_rules.yaml"
WORK=$(mktemp -d)
one() { # label binary
    echo "== $1: $2 (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    /usr/bin/time -v "$2" triage -q --json $RULES "$OUT" > "$WORK/$1.json" 2> "$WORK/$1.time" || true
    grep -E "User time|System time|Elapsed|Maximum resident|Exit status" "$WORK/$1.time"
    echo "   cluster reports: $(wc -l < "$WORK/$1.json")"
}
[ -z "${OLD:-}" ] || one old "$OLD"
one new "$QUELL"
if [ -n "${OLD:-}" ]; then
    if cmp -s "$WORK/old.json" "$WORK/new.json"; then echo "outputs: identical"; else echo "outputs: DIFFER"; fi
fi
rm -rf "$WORK"
[ -n "${KEEP:-}${IN:-}" ] || rm -f "$OUT"
