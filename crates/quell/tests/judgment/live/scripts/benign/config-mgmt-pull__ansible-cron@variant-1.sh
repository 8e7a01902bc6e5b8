#!/bin/sh
# benign: the next ansible run: the same cron module from another temp dir
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/.ansible/tmp/ansible-tmp-1733466602.17-9377-1440
printf 'import sys\nopen("/etc/cron.d/quell-jlive-logrotate", "w").write("#Ansible: logrotate\\n30 4 * * * root /usr/sbin/logrotate /etc/logrotate.conf\\n")\n' > $W/.ansible/tmp/ansible-tmp-1733466602.17-9377-1440/AnsiballZ_cron.py
ssh_cmd root "/usr/bin/python3 $W/.ansible/tmp/ansible-tmp-1733466602.17-9377-1440/AnsiballZ_cron.py && rm -rf $W/.ansible/tmp/ansible-tmp-1733466602.17-9377-1440/"
rm -f /etc/cron.d/quell-jlive-logrotate
