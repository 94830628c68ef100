# two Host lines in HTTP/1.0

expect = {'status': 400}
