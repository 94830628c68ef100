# Transfer-Encoding: identity (removed in RFC 7230; not chunked-final: 400, RFC 9112 6.3)

expect = {'status': 400}
