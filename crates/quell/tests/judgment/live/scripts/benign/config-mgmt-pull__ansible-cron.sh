#!/bin/sh
# benign: ansible over ssh (sshd -> sh -c python3 AnsiballZ_cron.py) writes a logrotate cron job under /etc/cron.d
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/.ansible/tmp/ansible-tmp-1733380201.52-9012-2811
printf 'import sys\nopen("/etc/cron.d/quell-jlive-logrotate", "w").write("#Ansible: logrotate\\n0 4 * * * root /usr/sbin/logrotate /etc/logrotate.conf\\n")\n' > $W/.ansible/tmp/ansible-tmp-1733380201.52-9012-2811/AnsiballZ_cron.py
ssh_cmd root "/usr/bin/python3 $W/.ansible/tmp/ansible-tmp-1733380201.52-9012-2811/AnsiballZ_cron.py && rm -rf $W/.ansible/tmp/ansible-tmp-1733380201.52-9012-2811/"
rm -f /etc/cron.d/quell-jlive-logrotate
