# NUL after the method (gunicorn invalid/prefix_01)

expect = {'status': 400}
