#!/bin/sh
# benign: an admin upgrades dbus over ssh with a terminal; its postinst sets the setuid bit on the activation helper (dpkg-statoverride)
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/dpkg-info $W/usr/lib/dbus-1.0
cp /bin/true $W/usr/lib/dbus-1.0/dbus-daemon-launch-helper
printf '#!/bin/sh\nset -e\nchmod 4754 %s/usr/lib/dbus-1.0/dbus-daemon-launch-helper\n' "$W" > $W/dpkg-info/dbus.postinst
chmod 755 $W/dpkg-info/dbus.postinst
ssh_tty root <<'CMDS'
apt-get install --only-upgrade dbus
exit
CMDS
