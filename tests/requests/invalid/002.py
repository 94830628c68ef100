# Transfer-Encoding: chunked twice (RFC 9112 7: chunked at most once)

expect = {'status': 400}
