#!/bin/sh
# benign: the next dbus upgrade over ssh: the postinst sets the setuid bit on the helper again
. "$(dirname "$0")/../../lib.sh"
mkdir -p $W/dpkg-info $W/usr/lib/dbus-1.0
cp /bin/true $W/usr/lib/dbus-1.0/dbus-daemon-launch-helper
printf '#!/bin/sh\nset -e\nchown root:root %s/usr/lib/dbus-1.0/dbus-daemon-launch-helper\nchmod 4754 %s/usr/lib/dbus-1.0/dbus-daemon-launch-helper\n' "$W" "$W" > $W/dpkg-info/dbus.postinst
chmod 755 $W/dpkg-info/dbus.postinst
ssh_tty root <<'CMDS'
apt-get upgrade dbus
exit
CMDS
