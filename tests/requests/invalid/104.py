# HTTP/1.10: not DIGIT "." DIGIT (RFC 9112 2.3: 400)

expect = {'status': 400}
