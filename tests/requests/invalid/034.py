# obs-fold in an ordinary header (RFC 9112 5.2)

expect = {'status': 400}
