#!/bin/sh
# quell labeled corpus scenario (malicious): a downloaded tool, then a search for private keys
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $W/srv; printf "#!/bin/sh\nrm -f %s\n" "/nonexistent" > $W/srv/payload
python3 -m http.server --bind 127.0.0.1 $P --directory $W/srv >/dev/null 2>&1 &
SRV=$!
sleep 0.7
curl -s -o $W/tool http://127.0.0.1:$P/payload
grep -rl "BEGIN OPENSSH" $W 2>/dev/null; find $W -name id_rsa 2>/dev/null
kill $SRV 2>/dev/null; wait $SRV 2>/dev/null

