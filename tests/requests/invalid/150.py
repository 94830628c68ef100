# a ';' with no chunk extension after it (RFC 9112 7.1.1)

expect = {'status': 400}
