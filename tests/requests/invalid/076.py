# a control character (0x01) in the request-target

expect = {'status': 400}
