# a bare LF inside the request-target

expect = {'status': 400}
