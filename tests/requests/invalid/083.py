# a header field name alone beyond 8190 bytes (431)

expect = {'status': 431}
