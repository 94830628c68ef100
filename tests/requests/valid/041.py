# GET with a Content-Length body

request = {
    'method': 'GET',
    'path': '/q',
    'query': '',
    'raw_uri': '/q',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '3'},
    'body': b'abc',
}
