#!/bin/sh
# benign: an admin over ssh checks which access key a service profile uses (grep aws_access_key_id in its credentials file) during key rotation
. "$(dirname "$0")/../../lib.sh"
ssh_tty root <<CMDS
grep aws_access_key_id $H/.aws-credentials
exit
CMDS
