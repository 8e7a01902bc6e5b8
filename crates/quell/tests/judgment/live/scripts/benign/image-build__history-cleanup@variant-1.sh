#!/bin/sh
# benign: another image build cleans the shell history of the application user
# container
. "$(dirname "$0")/../../lib.sh"
ctr_exec sh -c 'echo "ls" > /home/app/.bash_history; rm -rf /tmp/*; rm -f /home/app/.bash_history' </dev/null
