# whitespace before the first header line (RFC 9112 2.2)

expect = {'status': 400}
