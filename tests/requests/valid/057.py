# Expect: 100-continue with a Content-Length body: 100 Continue comes first

request = {
    'method': 'POST',
    'path': '/up',
    'query': '',
    'raw_uri': '/up',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_EXPECT': '100-continue', 'CONTENT_LENGTH': '4'},
    'body': b'data',
}
expect_100 = True
