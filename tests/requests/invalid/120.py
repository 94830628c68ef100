# a protocol name other than HTTP (RFC 9112 2.3; gunicorn invalid/004)

expect = {'status': 400}
