#!/usr/bin/env bash
# Replay throughput of a capture, in one run: `quell replay -e` on N concatenated copies of
# 502Error.scap, `quell replay` on the same copies of its sysdig conversion (JSON Lines), and
# `sysdig -r` on the same capture with one filter. CPU seconds (user + system) per run.
#
# Usage (repository root, after `cargo build --release -p quell`):
#   crates/quell-scap/bench/replay_scap.sh [COPIES]        # default 23 copies: 514,763 scap events
# Needs ../shared, sysdig, /usr/bin/time. Temporary files are removed on exit.
set -euo pipefail
copies=${1:-23}
root=$(cd "$(dirname "$0")/../../.." && pwd)
shared="$root/../shared"
quell="$root/target/release/quell"
rules="$shared/corpus/falco-rules/falco_rules.yaml"
filter='evt.type in (open, connect, accept, execve, clone) and proc.name != ""'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$copies"); do cat "$shared/corpus/scap/502Error.scap"; done >"$tmp/big.scap"
for _ in $(seq "$copies"); do cat "$shared/corpus/events/502Error.jsonl"; done >"$tmp/big.jsonl"
scap_events=$((22381 * copies)) # event blocks of 502Error.scap (crates/quell-scap/tests/read.rs)
lines=$((4349 * copies))         # lines of 502Error.jsonl

cpu() { # prints user+system CPU seconds of a command; its stdout is discarded
    /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || {
        cat "$tmp/err" >&2
        exit 1
    }
    awk '{printf "%.3f", $1 + $2}' "$tmp/time"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

: >"$tmp/empty.jsonl"
q_base=$(cpu "$quell" replay -r "$rules" "$tmp/empty.jsonl") # loading the rules, no events
q_scap=$(cpu "$quell" replay -r "$rules" -e "$tmp/big.scap")
flat=$(grep -o '[0-9]* events read' "$tmp/err" | cut -d' ' -f1)
q_json=$(cpu "$quell" replay -r "$rules" "$tmp/big.jsonl")
s_scap=$(cpu sysdig -r "$tmp/big.scap" -q "$filter")

echo "copies=$copies scap_events=$scap_events flat_events_from_capture=$flat jsonl_lines=$lines"
net() { awk -v a="$1" -v b="$q_base" 'BEGIN { d = a - b; printf "%.3f", (d > 0 ? d : 0) }'; }
echo "quell replay, rules only (empty input): ${q_base}s CPU"
echo "quell replay -e (stable rules):   ${q_scap}s CPU, $(rate "$scap_events" "$q_scap") scap events/CPU-s; without the rule loading $(net "$q_scap")s: $(rate "$scap_events" "$(net "$q_scap")") scap events/CPU-s, $(rate "$flat" "$(net "$q_scap")") flat events/CPU-s"
echo "quell replay jsonl (stable rules): ${q_json}s CPU, $(rate "$lines" "$q_json") lines/CPU-s; without the rule loading $(rate "$lines" "$(net "$q_json")") lines/CPU-s"
echo "sysdig -r -q '$filter': ${s_scap}s CPU, $(rate "$scap_events" "$s_scap") scap events/CPU-s"
awk -v a="$q_scap" -v b="$s_scap" 'BEGIN { if (a > 0) printf "ratio quell -e / sysdig (scap events per CPU-s): %.2f\n", b / a }'
