#!/bin/sh
# benign: the same application sends an order confirmation to another customer
# container
. "$(dirname "$0")/../../lib.sh"
APP_USER=www-data ctr_app apache2 "printf 'From: shop@example.test\nTo: bob@example.test\nSubject: Order 10422 confirmed\n\nThanks\n' | /opt/bin/sendmail -t -i"
