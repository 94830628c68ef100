# Content-Length with leading zeros is still 1*DIGIT

request = {
    'method': 'POST',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '0005'},
    'body': b'hello',
}
