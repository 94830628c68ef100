# two Host lines (RFC 9112 3.2)

expect = {'status': 400}
