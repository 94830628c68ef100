# HTTP/3.0 in an HTTP/1 request line: a major version not served (RFC 9110 15.6.6: 505)

expect = {'status': 505}
