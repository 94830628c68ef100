# a non-ASCII byte in a field name

expect = {'status': 400}
