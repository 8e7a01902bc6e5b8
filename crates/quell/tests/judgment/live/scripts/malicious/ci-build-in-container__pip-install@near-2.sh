#!/bin/sh
# malicious: a web shell runs pip in the service container (gunicorn -> sh -c pip install)
# container
. "$(dirname "$0")/../../lib.sh"
ctr_app gunicorn "pip install --user requests-toolbelt pycryptodome"
