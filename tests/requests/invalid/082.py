# a header field of 8191 bytes, name plus value (limit_request_field_size 8190: 431)

expect = {'status': 431}
