# Transfer-Encoding: xchunked (a different coding, not chunked: 400, RFC 9112 6.3)

expect = {'status': 400}
