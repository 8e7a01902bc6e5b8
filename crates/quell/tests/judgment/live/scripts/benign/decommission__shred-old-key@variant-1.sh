#!/bin/sh
# benign: the next rotation: shred -u on the previous year key
. "$(dirname "$0")/../../lib.sh"
mkdir -p $E/ssl/private
head -c 512 /dev/urandom > $E/ssl/private/api-2024.key
ssh_tty root <<CMDS
shred -u $E/ssl/private/api-2024.key
exit
CMDS
