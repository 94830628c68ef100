# a chunk extension without a chunk size (gunicorn invalid/chunked_12)

expect = {'status': 400}
