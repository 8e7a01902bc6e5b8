#!/bin/sh
# Time of a deterministic `quell ask` answer over 100,000 Falco JSON alert lines (the issue's
# "< 200 ms with 100,000 alerts stored", measured with a file: the server's store is a later slice).
# The alerts: the five alerts of examples/seed.jsonl (triage's samples), repeated with distinct
# pids and times, 100,000 lines in all. Usage (from the repository root, after `cargo build -p quell`):
#   sh crates/quell-assist/bench/ask_100k.sh [path/to/quell]
# Prints, per question, the wall time of 3 runs (whole command: reading the file, triage, answer).
set -eu
QUELL=${1:-target/debug/quell}
N=${N:-100000}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/quell-ask-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
"$QUELL" triage --json -q examples/seed.jsonl > "$TMP/reports.jsonl"
python3 - "$TMP/reports.jsonl" "$N" > "$TMP/alerts.jsonl" <<'PY'
import json, sys
samples = [json.loads(l)["sample"] for l in open(sys.argv[1])]
n = int(sys.argv[2])
for i in range(n):
    s = json.loads(json.dumps(samples[i % len(samples)]))
    f = s["output_fields"]
    f["proc.pid"] = 10000 + i
    f["evt.time"] = f.get("evt.time", 0) + i * 1000
    print(json.dumps(s))
PY
echo "alerts: $(wc -l < "$TMP/alerts.jsonl") lines, $(du -h "$TMP/alerts.jsonl" | cut -f1)"
for q in "このイベントは誤検知の可能性が高いですか？" "which rules alert most?" "これがアラートにならないように例外を書いて"; do
  for run in 1 2 3; do
    s=$(date +%s%N)
    "$QUELL" ask --events "$TMP/alerts.jsonl" --about 2 "$q" > /dev/null || true
    e=$(date +%s%N)
    echo "$q  run $run: $(( (e - s) / 1000000 )) ms"
  done
done
