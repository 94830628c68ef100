# a very long request line (414)

expect = {'status': 414}
