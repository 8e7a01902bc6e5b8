#!/bin/sh
# Prints, for every recording, the upstream rules (stable + incubating loaded together) that
# alert on it when replayed, counted with `quell replay --json`: first with Falco's default
# rule matching (first match per event), then with --rule-matching all. Markdown, for README.md.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../../../.." && pwd)
QUELL=${QUELL:-$ROOT/target/debug/quell}
RULES=${RULES:-$ROOT/../shared/corpus/falco-rules}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for g in "$HERE"/recordings/*/*.jsonl.gz; do
    label=$(basename "$(dirname "$g")")
    gzip -dc "$g" > "$TMP/ev"
    for m in first all; do
        "$QUELL" replay -r "$RULES/falco_rules.yaml" -r "$RULES/falco-incubating_rules.yaml" \
            --rule-matching "$m" --json "$TMP/ev" 2>/dev/null > "$TMP/$m" || true
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$(basename "$g" .jsonl.gz)" "$(wc -c < "$g")" "$TMP/first" "$TMP/all" |
        python3 -c '
import collections, json, sys
label, name, size, first, alls = sys.stdin.read().rstrip("\n").split("\t")
def count(p):
    c = collections.Counter()
    for line in open(p):
        if line.strip():
            c[json.loads(line)["rule"]] += 1
    return ", ".join("%s (%d)" % (r, n) for r, n in sorted(c.items())) or "none"
print("| %s | `%s` | %s | %s | %.0f |" % (label, name, count(first), count(alls), int(size) / 1024))'
done
