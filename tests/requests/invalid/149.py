# whitespace after the last chunk extension (RFC 9112 7.1.1: BWS only before ';'
# and around '=')

expect = {'status': 400}
