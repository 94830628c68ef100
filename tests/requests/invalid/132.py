# a bare CR inside a chunk extension (gunicorn invalid/chunked_14)

expect = {'status': 400}
