# a version without its '.' (RFC 9112 2.3; gunicorn invalid/018)

expect = {'status': 400}
