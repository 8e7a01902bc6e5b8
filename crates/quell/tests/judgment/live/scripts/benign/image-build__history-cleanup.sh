#!/bin/sh
# benign: an image build step (runtime exec, no tty) cleans up before the layer is committed: apt lists, caches and root shell history (rm -f /root/.bash_history)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'echo "ls" > /root/.bash_history; rm -rf /tmp/deps /var/cache/apt/archives/*.deb; rm -f /root/.bash_history' </dev/null
