# an invalid Host value: a non-ASCII byte (RFC 9112 3.2: MUST 400)

expect = {'status': 400}
