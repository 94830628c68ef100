# Content-Length far beyond 2**64

expect = {'status': 400}
