# non-hex chunk size

expect = {'status': 400}
