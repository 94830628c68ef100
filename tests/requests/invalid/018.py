# Transfer-Encoding: gzip, chunked: a coding the server does not know (RFC 9112 6.1: 501)

expect = {'status': 501}
