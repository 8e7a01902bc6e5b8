#!/bin/sh
# quell labeled corpus scenario (malicious): a web shell runs unlink on dpkg.log after a download
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
touch $S/dpkg.log
mkdir -p $W/srv; printf "#!/bin/sh\nrm -f %s\n" "/nonexistent" > $W/srv/payload
python3 -m http.server --bind 127.0.0.1 $P --directory $W/srv >/dev/null 2>&1 &
SRV=$!
sleep 0.7
$B/httpd "curl -s http://127.0.0.1:$P/payload > /dev/null; unlink $S/dpkg.log"
kill $SRV 2>/dev/null; wait $SRV 2>/dev/null

