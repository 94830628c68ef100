# Transfer-Encoding: gzip then Transfer-Encoding: chunked on two lines: the list is
# "gzip, chunked" (RFC 9110 5.3), a coding the server does not know (RFC 9112 6.1: 501)

expect = {'status': 501}
