#!/bin/sh
# benign: an admin over ssh decommissions a rotated key: shred -u on the old key file
. "$(dirname "$0")/../../lib.sh"
mkdir -p $E/ssl/private
head -c 512 /dev/urandom > $E/ssl/private/api-2025.key
ssh_tty root <<CMDS
shred -u $E/ssl/private/api-2025.key
exit
CMDS
