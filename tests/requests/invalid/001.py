# Content-Length then Transfer-Encoding (RFC 9112 6.3: smuggling shape, refused)

expect = {'status': 400}
