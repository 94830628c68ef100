# a chunked body beyond limit_request_body (64 KiB in these tests: 413)

expect = {'status': 413}
