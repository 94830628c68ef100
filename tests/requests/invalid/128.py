# chunked twice over four Transfer-Encoding lines (gunicorn invalid/chunked_04)

expect = {'status': [400, 501]}
