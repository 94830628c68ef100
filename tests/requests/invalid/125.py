# Content-Length 0_1 (gunicorn invalid/023)

expect = {'status': 400}
