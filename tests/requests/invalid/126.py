# '_' inside a chunk size (RFC 9112 7.1: 1*HEXDIG; gunicorn invalid/chunked_01)

expect = {'status': 400}
