# NUL inside the method (RFC 9112 3: 400)

expect = {'status': 400}
