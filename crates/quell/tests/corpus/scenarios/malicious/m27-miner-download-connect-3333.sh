#!/bin/sh
# quell labeled corpus scenario (malicious): a miner is downloaded to /dev/shm, runs and connects to a pool port
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $W/srv; printf "#!/bin/sh\nrm -f %s\n" "/nonexistent" > $W/srv/payload
python3 -m http.server --bind 127.0.0.1 $P --directory $W/srv >/dev/null 2>&1 &
SRV=$!
sleep 0.7
python3 -c "import socket,sys;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',int(sys.argv[1])));s.listen(4);s.settimeout(5)
try:
 c,_=s.accept();c.recv(64)
except Exception: pass" 3333 &
LSN=$!
sleep 0.5
cp /usr/bin/bash /dev/shm/quell-corpus-miner
/dev/shm/quell-corpus-miner -c "exec 3<>/dev/tcp/127.0.0.1/3333; echo x >&3"
rm -f /dev/shm/quell-corpus-miner
kill $LSN 2>/dev/null; wait $LSN 2>/dev/null

kill $SRV 2>/dev/null; wait $SRV 2>/dev/null

