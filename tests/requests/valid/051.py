# HTTP/1.0 POST with a body

request = {
    'method': 'POST',
    'path': '/old',
    'query': '',
    'raw_uri': '/old',
    'protocol': 'HTTP/1.0',
    'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '4'},
    'body': b'body',
}
close = True
