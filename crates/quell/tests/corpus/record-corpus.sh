#!/bin/sh
# Records quell's labeled triage corpus live: each scenario script under
# scenarios/{benign,malicious}/ runs in its own session under
#   quell run --record recordings/<label>/<name>.jsonl -- setsid sh <scenario>
# over the bundled default rules, and the recording is gzip'ed. Needs root and BPF.
#
# Scenarios touch only scratch paths created here and removed at the end:
#   S=/var/log/quell-corpus  W=/tmp/quell-corpus  E=/etc/quell-corpus  B=/opt/quell-corpus/bin
# (plus /etc/cron.d/quell-corpus-* and /usr/local/bin/quell-corpus-* files that the scenarios
# remove themselves), and only loopback addresses. Programs under $B are stand-ins named
# like real ones (httpd, postgres, dpkg, ansible-playbook, ...): `sh -c "$1"` scripts, so the
# process names and lineage are what those programs would produce.
#
# Afterwards, crates/quell-triage/data/true_positives.jsonl (quell's true-positive catalogue) is rebuilt from
# the events of the malicious recordings that raise an alert.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../../.." && pwd)
QUELL=${QUELL:-$ROOT/target/debug/quell}
OUT=$HERE/recordings
S=/var/log/quell-corpus W=/tmp/quell-corpus E=/etc/quell-corpus B=/opt/quell-corpus/bin
H=$W/home
export S W E B H

fresh() {
    rm -rf "$S" "$W" "$E"
    mkdir -p "$S" "$W" "$E" "$H" "$B"
    for p in httpd postgres dpkg apt-get unattended-upgr ansible-playbook puppet restic rsync pip systemd-tmpfile; do
        printf '#!/bin/sh\nsh -c "$1"\n' > "$B/$p"
        chmod 755 "$B/$p"
    done
}

only=${1:-}
n=0
for label in benign malicious; do
    mkdir -p "$OUT/$label"
    for f in "$HERE"/scenarios/$label/*.sh; do
        name=$(basename "$f" .sh)
        case "$name" in *"$only"*) ;; *) continue ;; esac
        n=$((n + 1))
        P=$((18000 + n))
        export P
        fresh
        rec="$OUT/$label/$name.jsonl"
        echo "== $label/$name" >&2
        "$QUELL" run --record "$rec" -- setsid sh "$f" > /dev/null 2> "$rec.log" || true
        tail -n 20 "$rec.log" | grep -E '^quell: +[0-9]+ ' >&2 || true
        rm -f "$rec.log"
        gzip -9nf "$rec"
    done
done
rm -rf "$S" "$W" "$E" /opt/quell-corpus

# The true-positive catalogue: events of malicious recordings that alert.
TP="$ROOT/crates/quell-triage/data/true_positives.jsonl"
: > "$TP.tmp"
for g in "$OUT"/malicious/*.jsonl.gz; do
    [ -e "$g" ] || continue
    mkdir -p "$(dirname "$W")"
    gzip -dc "$g" > "$W.events"
    "$QUELL" replay --json --rule-matching all "$W.events" 2>/dev/null > "$W.alerts" || true
    python3 - "$W.events" "$W.alerts" >> "$TP.tmp" <<'PY'
import json, sys
times = set()
for line in open(sys.argv[2]):
    try:
        times.add(json.loads(line)["output_fields"]["evt.time"])
    except Exception:
        pass
for line in open(sys.argv[1]):
    if line.strip() and json.loads(line).get("evt.rawtime") in times:
        sys.stdout.write(line if line.endswith("\n") else line + "\n")
PY
done
rm -f "$W.events" "$W.alerts"
mv "$TP.tmp" "$TP"
echo "recorded $n scenario(s); true-positive catalogue: $(wc -l < "$TP") event(s)" >&2
