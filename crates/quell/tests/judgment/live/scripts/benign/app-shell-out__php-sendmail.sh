#!/bin/sh
# benign: a PHP application under apache2 sends a password-reset mail: mail() runs sh -c "sendmail -t -i" (relay on loopback)
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=www-data ctr_app apache2 "printf 'From: shop@example.test\nTo: alice@example.test\nSubject: Password reset\n\nYour code is 482913\n' | /opt/bin/sendmail -t -i"
