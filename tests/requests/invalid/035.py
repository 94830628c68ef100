# Content-Length continued on a folded line

expect = {'status': 400}
