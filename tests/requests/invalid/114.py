# asterisk-form with a method other than OPTIONS (RFC 9112 3.2.4; gunicorn
# invalid/rfc9112_target_asterisk_non_options_01)

expect = {'status': 400}
