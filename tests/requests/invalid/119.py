# bare LF instead of the SPs of the request line (gunicorn invalid/003)

expect = {'status': 400}
