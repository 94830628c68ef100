# whitespace between a field name and the colon (RFC 9112 5.1: MUST 400)

expect = {'status': 400}
