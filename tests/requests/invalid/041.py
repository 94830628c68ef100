# a bare LF ending the request line

expect = {'status': 400}
