# a method starting with a non-tchar ('@') is no method (RFC 9112 3: 400)

expect = {'status': 400}
