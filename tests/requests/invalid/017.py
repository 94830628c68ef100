# Transfer-Encoding: chunked, gzip (chunked not last: RFC 9112 6.3 item 4)

expect = {'status': 400}
