# Content-Length: 0

request = {
    'method': 'POST',
    'path': '/empty',
    'query': '',
    'raw_uri': '/empty',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '0'},
    'body': b'',
}
