# an unknown token method (RFC 9110 9.1: 501 Not Implemented)

expect = {'status': 501}
