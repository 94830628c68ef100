# Transfer-Encoding folded onto a continuation line

expect = {'status': 400}
