# an invalid Host value: a tab (RFC 9112 3.2: MUST 400)

expect = {'status': 400}
