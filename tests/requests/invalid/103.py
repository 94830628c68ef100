# HTTP/9.9: a major version not served (RFC 9110 15.6.6: 505)

expect = {'status': 505}
