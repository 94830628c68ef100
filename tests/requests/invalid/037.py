# a bare CR inside a header value (RFC 9112 2.2)

expect = {'status': 400}
