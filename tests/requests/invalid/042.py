# NUL in a header value

expect = {'status': 400}
