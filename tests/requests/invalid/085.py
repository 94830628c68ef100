# a Content-Length beyond limit_request_body (413 before any body byte)

expect = {'status': 413}
