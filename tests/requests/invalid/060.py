# no request-target

expect = {'status': 400}
