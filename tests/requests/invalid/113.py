# two Content-Type lines (RFC 9110 5.3: not a list-valued field; gunicorn invalid/041)

expect = {'status': 400}
