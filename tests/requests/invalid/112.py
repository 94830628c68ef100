# Transfer-Encoding: identity with a Content-Length. Difference from gunicorn (its
# valid/009 serves it, framed by the Content-Length): any Transfer-Encoding beside a
# Content-Length is refused (RFC 9112 6.1 allows it; a smuggling shape, DESIGN.md 7)

expect = {'status': [400, 501]}
