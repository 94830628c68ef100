# a lower-case 'get' is a different, unknown token method (methods are case-sensitive,
# RFC 9110 9.1: 501)

expect = {'status': 501}
