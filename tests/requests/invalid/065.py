# lower-case protocol name (RFC 9112 2.3: HTTP-name is case-sensitive)

expect = {'status': 400}
