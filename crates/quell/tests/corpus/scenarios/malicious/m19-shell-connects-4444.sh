#!/bin/sh
# quell labeled corpus scenario (malicious): a shell opens a connection to port 4444 (reverse shell)
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
python3 -c "import socket,sys;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',int(sys.argv[1])));s.listen(4);s.settimeout(5)
try:
 c,_=s.accept();c.recv(64)
except Exception: pass" 4444 &
LSN=$!
sleep 0.5
bash -c "exec 3<>/dev/tcp/127.0.0.1/4444; echo hi >&3"
kill $LSN 2>/dev/null; wait $LSN 2>/dev/null

