# chunked followed by identity (gunicorn invalid/chunked_08)

expect = {'status': 400}
