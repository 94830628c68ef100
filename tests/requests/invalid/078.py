# a raw non-ASCII byte in the request-target

expect = {'status': 400}
