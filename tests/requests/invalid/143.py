# a chunk extension that is a bare '=' (RFC 9112 7.1.1)

expect = {'status': 400}
