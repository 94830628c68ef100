# a header field line of 8191 bytes, name, colon, whitespace, value and CRLF
# (limit_request_field_size 8190, counted as gunicorn counts it: 431)

expect = {'status': 431}
