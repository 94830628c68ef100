# an unknown method made of tchars only (RFC 9110 9.1: 501)

expect = {'status': 501}
