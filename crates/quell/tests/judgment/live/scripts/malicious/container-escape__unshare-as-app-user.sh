#!/bin/sh
# malicious: the app user in the container tries to unshare into new namespaces (escape groundwork)
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=www-data ctr_app apache2 "unshare -U -r true 2>/dev/null; unshare -m true 2>/dev/null; true"
