#!/bin/sh
# benign: an admin upgrades a package over ssh with a terminal; its postinst installs the package cron job under /etc/cron.d
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/dpkg-info
printf '#!/bin/sh\nset -e\ncat > /etc/cron.d/quell-jlive-sysstat <<CRON\n5-55/10 * * * * root command -v debian-sa1 > /dev/null && debian-sa1 1 1\nCRON\nchmod 644 /etc/cron.d/quell-jlive-sysstat\n' > $W/dpkg-info/sysstat.postinst
chmod 755 $W/dpkg-info/sysstat.postinst
ssh_tty root <<'CMDS'
apt-get install --only-upgrade sysstat
ls -l /etc/cron.d
exit
CMDS
rm -f /etc/cron.d/quell-jlive-sysstat
