# chunked twice in one Transfer-Encoding list (RFC 9112 6.1: at most once;
# gunicorn invalid/chunked_03)

expect = {'status': [400, 501]}
