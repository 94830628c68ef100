# NUL inside a field name (gunicorn invalid/005)

expect = {'status': 400}
