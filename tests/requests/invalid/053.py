# missing Host in HTTP/1.1 (RFC 9112 3.2)

expect = {'status': 400}
