# a chunk extension with '=' and no value (RFC 9112 7.1.1: chunk-ext-val is a token or
# a quoted-string; lenient extension parsing is a smuggling vector)

expect = {'status': 400}
