# an absolute-form target whose authority is no uri-host (RFC 3986 3.2.2: ']' outside
# an IP literal; RFC 9112 3.2: 400; gunicorn invalid/016)

expect = {'status': 400}
