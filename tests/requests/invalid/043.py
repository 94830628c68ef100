# a control character (0x01) in a header value

expect = {'status': 400}
