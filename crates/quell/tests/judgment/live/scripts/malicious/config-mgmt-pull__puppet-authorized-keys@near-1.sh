#!/bin/sh
# malicious: a web server shell appends an attacker key to the same authorized_keys
. "$(dirname "$0")/../../lib.sh"
$B/httpd "echo 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQquellAttacker x@kali' >> $H/.ssh/authorized_keys"
