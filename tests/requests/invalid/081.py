# 101 header fields (limit_request_fields 100: 431)

expect = {'status': 431}
