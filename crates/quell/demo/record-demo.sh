#!/bin/sh
# Records the recordings `quell demo` replays when live capture is not possible:
# operator-1 (the first deletion), operator-2 (the same action again) and attack.
# Needs root and BPF. Scratch paths only; loopback only. The payload server for the attack
# runs outside the recorded process tree.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
QUELL=${QUELL:-$HERE/../../../target/debug/quell}
S=/var/log/quell-demo W=/tmp/quell-demo P=18765
export S W P
for step in operator-1 operator-2 attack; do
    rm -rf "$S" "$W"
    sh "$HERE/setup.sh"
    SRV=
    if [ "$step" = attack ]; then
        python3 -m http.server --bind 127.0.0.1 "$P" --directory "$W/srv" >/dev/null 2>&1 &
        SRV=$!
        sleep 1
    fi
    script=$HERE/${step%-*}.sh
    "$QUELL" run --record "$HERE/$step.jsonl" -- setsid sh "$script" > /dev/null 2>&1 || true
    [ -n "$SRV" ] && kill "$SRV" && wait "$SRV" 2>/dev/null || true
done
rm -rf "$S" "$W"
ls -l "$HERE"/*.jsonl >&2
