# Transfer-Encoding then Content-Length

expect = {'status': 400}
