# a PROXY protocol v2 signature while the PROXY protocol is off (not a request line: 400)

expect = {'status': 400}
