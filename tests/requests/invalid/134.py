# non-ASCII bytes in the method (gunicorn invalid/nonascii_01)

expect = {'status': 400}
