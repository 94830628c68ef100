# request line of 4095 bytes (limit_request_line 4094: 414)

expect = {'status': 414}
