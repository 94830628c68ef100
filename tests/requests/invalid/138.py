# Transfer-Encoding in the trailer section (RFC 9110 6.5.1; gunicorn
# invalid/rfc9110_trailer_forbidden_te_01)

expect = {'status': 400}
