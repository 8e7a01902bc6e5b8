#!/bin/sh
# malicious: cp /dev/null over the package log, run by a web shell (apache2 -> sh -c) to hide what it installed
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app apache2 "cp /dev/null /var/log/dpkg.log"
