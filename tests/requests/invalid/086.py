# Transfer-Encoding: gzip alone (chunked not final: the body cannot be delimited,
# RFC 9112 6.3 item 4: 400)

expect = {'status': 400}
