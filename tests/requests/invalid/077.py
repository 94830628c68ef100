# DEL in the request-target

expect = {'status': 400}
