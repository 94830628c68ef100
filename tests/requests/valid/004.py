# PUT with a body

request = {
    'method': 'PUT',
    'path': '/r/1',
    'query': '',
    'raw_uri': '/r/1',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '5'},
    'body': b'hello',
}
