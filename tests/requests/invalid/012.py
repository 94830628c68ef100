# Content-Length of 2**64 (overflow)

expect = {'status': 400}
