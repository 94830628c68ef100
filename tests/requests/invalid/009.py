# Content-Length with a '+' sign

expect = {'status': 400}
