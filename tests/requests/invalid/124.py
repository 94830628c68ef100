# Content-Length -0 (1*DIGIT, RFC 9110 8.6; gunicorn invalid/022)

expect = {'status': 400}
