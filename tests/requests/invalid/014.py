# Content-Length with a space inside the digits

expect = {'status': 400}
