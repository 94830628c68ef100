# two Content-Length lines that differ (RFC 9112 6.3 item 5)

expect = {'status': 400}
