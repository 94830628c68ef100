# HTTP/0.99: not DIGIT "." DIGIT (RFC 9112 2.3; gunicorn invalid/version_01)

expect = {'status': 400}
