#!/bin/sh
# benign: the same check after the rotation, with -n
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<CMDS
grep -n aws_access_key_id $H/.aws-credentials
exit
CMDS
