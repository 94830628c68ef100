# HTTP/2.0 in an HTTP/1 request line (RFC 9110 15.6.6: 505)

expect = {'status': 505}
