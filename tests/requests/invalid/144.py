# Transfer-Encoding: identity then chunked on two lines. Difference from gunicorn (its
# valid/029 serves it): identity is no transfer coding since RFC 7230, so the list holds a
# coding the server does not know (RFC 9112 6.1: 501), as invalid/090

expect = {'status': 501}
