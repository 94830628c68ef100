# negative Content-Length

expect = {'status': 400}
