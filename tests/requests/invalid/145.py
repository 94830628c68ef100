# Host in the trailer section (RFC 9110 6.5.1: a field that routes the request is not
# allowed there; gunicorn invalid/rfc9110_trailer_forbidden_host_01)

expect = {'status': 400}
