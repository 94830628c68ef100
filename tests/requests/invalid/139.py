# a '+' before a chunk size (gunicorn invalid/rfc9112_chunked_size_plus_sign_01)

expect = {'status': 400}
