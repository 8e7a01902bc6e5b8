#!/bin/sh
# benign: an admin upgrades dbus over ssh with a terminal; its postinst sets the setuid bit on the activation helper (dpkg-statoverride)
# pending: upstream "Set Setuid or Setgid bit" matches evt.arg.mode contains "S_ISUID" (libsinsp names the mode bits); the live capture renders the mode in octal ("04754"), so nothing alerts
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/dpkg-info $W/usr/lib/dbus-1.0
cp /bin/true $W/usr/lib/dbus-1.0/dbus-daemon-launch-helper
printf '#!/bin/sh\nset -e\nchmod 4754 %s/usr/lib/dbus-1.0/dbus-daemon-launch-helper\n' "$W" > $W/dpkg-info/dbus.postinst
chmod 755 $W/dpkg-info/dbus.postinst
ssh_tty root <<'CMDS'
apt-get install --only-upgrade dbus
exit
CMDS
