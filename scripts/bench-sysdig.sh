#!/usr/bin/env bash
# quell and sysdig side by side, in one run, on the same capture and the same conditions
# (issue 16 point 5), and quell on the capture's JSON Lines conversion.
#
#   scripts/bench-sysdig.sh [COPIES] [RUNS]      # defaults: 23 copies (217,994 syscall events), 3 runs
#
# Environment: QUELL (default target/release/quell; build it with `cargo build --release -p quell`),
# BASE_QUELL (optional: an older quell build measured on the same inputs in the same run, as a
# baseline), CAPTURE (default ../shared/corpus/scap/502Error.scap), JSONL (its conversion, default
# ../shared/corpus/events/502Error.jsonl), RULES (default the upstream stable rules file).
#
# What it does:
# 1. `quell rules --json` gives every enabled rule's compiled condition (macros, lists and
#    exceptions expanded). Each is offered to sysdig alone (`sysdig -r CAPTURE -q "<condition>"`);
#    the ones sysdig compiles are kept, the others are listed with sysdig's reason.
# 2. A rules file with exactly the kept rules (each rule's compiled condition, its output and
#    priority) is written for quell; the kept conditions, each in parentheses and OR'd, are
#    sysdig's filter. Both sides evaluate the same conditions.
# 3. COPIES concatenated copies of CAPTURE (and of JSONL). Per run, each measured as user + system
#    CPU seconds of the whole process (/usr/bin/time): `sysdig -r BIG.scap -q "<OR'd>"`,
#    `quell replay -r KEPT.yaml -e BIG.scap`, `quell replay -r KEPT.yaml BIG.jsonl`, and with
#    BASE_QUELL the same two quell commands with it.
# 4. Prints per run: CPU seconds, syscall events per CPU-second (the capture's events as sysdig
#    counts them: `sysdig -r CAPTURE -p %evt.num`, enter and exit events, not the process-table
#    metadata blocks; the same count for both programs, so the ratio does not depend on it),
#    JSON lines per CPU-second, and quell's capture figure as a ratio of sysdig's.
#    The alert counts of the two quell builds must be equal (the script fails otherwise).
#
# sysdig evaluates its filter on every event (enter and exit); quell on the exit events it decodes
# (the flat events). Both print nothing but matches (`-q`; quell's alerts go to a file).
# The machine may be shared: CPU seconds, not wall time, are compared; say the load average
# (printed) next to any figure. Needs sysdig, python3, /usr/bin/time. Temporary files are removed.
set -euo pipefail
copies=${1:-23}
runs=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
shared="$root/../shared"
quell=${QUELL:-$root/target/release/quell}
base=${BASE_QUELL:-}
capture=${CAPTURE:-$shared/corpus/scap/502Error.scap}
jsonl=${JSONL:-$shared/corpus/events/502Error.jsonl}
rules=${RULES:-$shared/corpus/falco-rules/falco_rules.yaml}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/quell-bench-sysdig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "quell: $quell ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
[ -n "$base" ] && echo "baseline quell: $base"
echo "sysdig: $(sysdig --version 2>&1 | head -n 1)"

# 1. The enabled rules' compiled conditions, and which of them sysdig compiles.
"$quell" rules -r "$rules" --json >"$tmp/rules.json"
python3 - "$tmp/rules.json" "$tmp/cands" <<'EOF'
import json, os, sys
text = open(sys.argv[1]).read().strip()
try:
    rules = json.loads(text)
except ValueError:
    rules = [json.loads(l) for l in text.splitlines() if l.strip()]
if isinstance(rules, dict):
    rules = rules.get("rules", [])
os.makedirs(sys.argv[2])
n = 0
for r in rules:
    if not r.get("enabled", True):
        continue
    with open(os.path.join(sys.argv[2], "%03d.json" % n), "w") as f:
        json.dump(r, f)
    n += 1
EOF
: >"$tmp/kept.list"
total=0
for f in "$tmp"/cands/*.json; do
    total=$((total + 1))
    cond=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["condition_compiled"])' "$f")
    if sysdig -r "$capture" -q "$cond" >/dev/null 2>"$tmp/why"; then
        echo "$f" >>"$tmp/kept.list"
    else
        name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$f")
        echo "  left out (sysdig cannot compile it): $name: $(head -c 200 "$tmp/why" | tr '\n' ' ')"
    fi
done
kept=$(wc -l <"$tmp/kept.list")
echo "rules: $kept of $total enabled rules of $(basename "$rules") compile in sysdig and are measured"
[ "$kept" -gt 0 ] || { echo "no rule left to measure" >&2; exit 1; }

# 2. The same conditions for both: a rules file for quell (JSON is YAML) and sysdig's filter.
python3 - "$tmp/kept.list" "$tmp/kept.yaml" "$tmp/filter" <<'EOF'
import json, sys
rules = [json.load(open(p.strip())) for p in open(sys.argv[1]) if p.strip()]
out = [{"rule": r["name"], "desc": "compiled condition of the upstream rule",
        "condition": r["condition_compiled"], "output": r["output"],
        "priority": r["priority"]} for r in rules]
json.dump(out, open(sys.argv[2], "w"), indent=1)
open(sys.argv[3], "w").write(" or ".join("(%s)" % r["condition_compiled"] for r in rules))
EOF
"$quell" validate "$tmp/kept.yaml" >/dev/null 2>&1 || "$quell" validate "$tmp/kept.yaml"
filter=$(cat "$tmp/filter")
echo "sysdig filter: ${#filter} characters"

# 3. The inputs.
for _ in $(seq "$copies"); do cat "$capture"; done >"$tmp/big.scap"
for _ in $(seq "$copies"); do cat "$jsonl"; done >"$tmp/big.jsonl"
# The capture's events, as sysdig counts them (every event block, enter and exit).
one=$(sysdig -r "$capture" -p '%evt.num' 2>/dev/null | wc -l)
scap_events=$((one * copies))
lines=$(wc -l <"$tmp/big.jsonl")
echo "input: $copies copies of $(basename "$capture"): $scap_events syscall events ($(wc -c <"$tmp/big.scap") bytes); $lines JSON lines ($(wc -c <"$tmp/big.jsonl") bytes)"

cpu() { # NAME CMD...: user+system CPU seconds into $tmp/NAME.cpu; stderr kept in $tmp/NAME.err
    local name=$1
    shift
    /usr/bin/time -f "%U %S %M" -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || {
        cat "$tmp/$name.err" >&2
        exit 1
    }
    awk '{printf "%.2f", $1 + $2}' "$tmp/$name.time" >"$tmp/$name.cpu"
}
alerts() { grep -o '[0-9]* alerts' "$tmp/$1.err" | head -n 1 | cut -d' ' -f1; }
rate() { awk -v n="$1" -v s="$(cat "$tmp/$2.cpu")" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
rss() { awk '{printf "%.1f MB", $3 / 1024}' "$tmp/$1.time"; }

printf '%-4s %-44s %8s %12s %10s\n' run command CPU-s per-CPU-s peak-RSS
for r in $(seq "$runs"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    cpu sysdig sysdig -r "$tmp/big.scap" -q "$filter"
    cpu qscap "$quell" replay -r "$tmp/kept.yaml" -e "$tmp/big.scap"
    cpu qjson "$quell" replay -r "$tmp/kept.yaml" "$tmp/big.jsonl"
    printf '%-4s %-44s %8s %12s %10s\n' "$r" "sysdig -r BIG.scap -q FILTER" "$(cat "$tmp/sysdig.cpu")" "$(rate "$scap_events" sysdig)" "$(rss sysdig)"
    printf '%-4s %-44s %8s %12s %10s  (%s alerts)\n' "$r" "quell replay -r KEPT -e BIG.scap" "$(cat "$tmp/qscap.cpu")" "$(rate "$scap_events" qscap)" "$(rss qscap)" "$(alerts qscap)"
    printf '%-4s %-44s %8s %12s %10s  (%s alerts, lines)\n' "$r" "quell replay -r KEPT BIG.jsonl" "$(cat "$tmp/qjson.cpu")" "$(rate "$lines" qjson)" "$(rss qjson)" "$(alerts qjson)"
    if [ -n "$base" ]; then
        cpu bscap "$base" replay -r "$tmp/kept.yaml" -e "$tmp/big.scap"
        cpu bjson "$base" replay -r "$tmp/kept.yaml" "$tmp/big.jsonl"
        printf '%-4s %-44s %8s %12s %10s  (%s alerts)\n' "$r" "baseline replay -r KEPT -e BIG.scap" "$(cat "$tmp/bscap.cpu")" "$(rate "$scap_events" bscap)" "$(rss bscap)" "$(alerts bscap)"
        printf '%-4s %-44s %8s %12s %10s  (%s alerts, lines)\n' "$r" "baseline replay -r KEPT BIG.jsonl" "$(cat "$tmp/bjson.cpu")" "$(rate "$lines" bjson)" "$(rss bjson)" "$(alerts bjson)"
        cmp -s "$tmp/qscap.out" "$tmp/bscap.out" || { echo "capture alerts differ from the baseline's" >&2; exit 1; }
        cmp -s "$tmp/qjson.out" "$tmp/bjson.out" || { echo "JSON Lines alerts differ from the baseline's" >&2; exit 1; }
        awk -v a="$(cat "$tmp/bscap.cpu")" -v b="$(cat "$tmp/qscap.cpu")" -v c="$(cat "$tmp/bjson.cpu")" -v d="$(cat "$tmp/qjson.cpu")" \
            'BEGIN { printf "     quell / baseline per CPU-second: capture %.2fx, JSON Lines %.2fx\n", a / b, c / d }'
    fi
    awk -v s="$(cat "$tmp/sysdig.cpu")" -v q="$(cat "$tmp/qscap.cpu")" -v l="$load" \
        'BEGIN { printf "     quell -e / sysdig, events per CPU-second: %.2fx (load average at the run'"'"'s start %s)\n", s / q, l }'
done
