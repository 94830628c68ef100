# a chunk extension without a name (RFC 9112 7.1.1: chunk-ext-name is a token)

expect = {'status': 400}
