# authority-form with a method other than CONNECT (RFC 9112 3.2.3; gunicorn
# invalid/rfc9112_target_authority_non_connect_01)

expect = {'status': 400}
