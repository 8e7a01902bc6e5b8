#!/bin/sh
# benign: the next upgrade of the same package over ssh by the admin, its postinst rewriting the cron job
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/dpkg-info
printf '#!/bin/sh\nset -e\ncat > /etc/cron.d/quell-jlive-sysstat <<CRON\n# sysstat 12.6.2\n5-55/10 * * * * root command -v debian-sa1 > /dev/null && debian-sa1 1 1\nCRON\n' > $W/dpkg-info/sysstat.postinst
chmod 755 $W/dpkg-info/sysstat.postinst
ssh_tty root <<'CMDS'
apt-get upgrade sysstat
exit
CMDS
rm -f /etc/cron.d/quell-jlive-sysstat
