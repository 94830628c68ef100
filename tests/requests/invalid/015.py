# Content-Length with trailing junk

expect = {'status': 400}
