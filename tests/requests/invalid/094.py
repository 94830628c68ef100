# an invalid Host value: userinfo ('@') (RFC 9112 3.2: MUST 400)

expect = {'status': 400}
