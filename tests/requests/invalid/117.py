# a ':' in the method is no tchar (RFC 9112 3; gunicorn invalid/003b)

expect = {'status': 400}
