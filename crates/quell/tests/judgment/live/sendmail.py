#!/usr/bin/python3
# stand-in sendmail (`sendmail -t -i`, as PHP's mail() runs it): reads a message on stdin and
# relays it to the mail relay on 127.0.0.1:2525. Nothing else.
import email, smtplib, sys
msg = email.message_from_bytes(sys.stdin.buffer.read())
with smtplib.SMTP("127.0.0.1", 2525, timeout=5) as s:
    s.sendmail(msg.get("From", "www-data@localhost"), [msg.get("To", "root@localhost")], msg.as_bytes())
