# an empty Transfer-Encoding

expect = {'status': 400}
