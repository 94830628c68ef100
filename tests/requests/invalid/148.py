# a chunk extension name with a byte that is not a tchar (RFC 9110 5.6.2)

expect = {'status': 400}
