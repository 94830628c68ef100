# Content-Length: 0 with Transfer-Encoding: chunked

expect = {'status': 400}
