#!/bin/sh
# Records the recordings `quell demo` replays when live capture is not possible:
# operator-1 (the first deletion), operator-2 (the same action again) and attack, all in one
# scratch container made by setup.sh and removed by teardown.sh (also on failure or Ctrl-C).
# Needs root and BPF. Scratch paths only; loopback only. The payload server for the attack
# runs outside the recorded process tree.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
QUELL=${QUELL:-$HERE/../../../target/debug/quell}
# Under /run like a runtime's state, so the stand-in runtime does not run from /tmp.
T=/run/quell-demo-rec-$$
SRV=
cleanup() {
    set +e
    if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; fi
    T="$T" sh "$HERE/teardown.sh"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$T"
export T
sh "$HERE/setup.sh"
for step in operator-1 operator-2 attack; do
    cp "$T/dpkg.log.orig" "$T/rootfs/var/log/dpkg.log"
    if [ "$step" = attack ]; then
        P=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        export P
        python3 -m http.server --bind 127.0.0.1 "$P" --directory "$T/srv" >/dev/null 2>&1 &
        SRV=$!
        i=0
        until curl -s -o /dev/null "http://127.0.0.1:$P/"; do
            i=$((i + 1)); [ $i -lt 100 ] || { echo "payload server did not start" >&2; exit 1; }
            sleep 0.05
        done
    fi
    "$QUELL" run --record "$HERE/$step.jsonl" -- setsid sh "$HERE/${step%-*}.sh" > /dev/null 2>&1
done
ls -l "$HERE"/*.jsonl >&2
