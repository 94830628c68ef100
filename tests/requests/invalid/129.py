# chunked not the last coding, over two lines (RFC 9112 6.3; gunicorn invalid/chunked_06)

expect = {'status': 400}
