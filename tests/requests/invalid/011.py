# hexadecimal Content-Length

expect = {'status': 400}
