# Transfer-Encoding: identity, chunked: identity is no longer a coding (RFC 9112 6.1: 501)

expect = {'status': 501}
