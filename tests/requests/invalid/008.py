# a Content-Length list in one line

expect = {'status': 400}
