# a chunk extension's quoted-string that is not closed (RFC 9110 5.6.4)

expect = {'status': 400}
