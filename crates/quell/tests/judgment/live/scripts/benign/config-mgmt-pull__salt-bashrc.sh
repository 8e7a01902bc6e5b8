#!/bin/sh
# benign: a salt-minion highstate (salt-minion -> sh -c salt-call) manages the ops user .bashrc with cp from its file cache
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/salt/files
printf '# managed by salt\nalias ll="ls -l"\nexport HISTSIZE=10000\n' > $W/salt/files/bashrc
$B/salt-minion "$B/salt-call 'cp $W/salt/files/bashrc $H/.bashrc'"
