#!/bin/sh
# benign: the next salt highstate manages the same user .profile (another file of the same kind)
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/salt/files
printf '# managed by salt\nexport EDITOR=vi\n' > $W/salt/files/profile
$B/salt-minion "$B/salt-call 'cp $W/salt/files/profile $H/.profile'"
