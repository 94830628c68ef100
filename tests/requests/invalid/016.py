# empty Content-Length

expect = {'status': 400}
