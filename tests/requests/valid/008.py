# PATCH with a body

request = {
    'method': 'PATCH',
    'path': '/r/1',
    'query': '',
    'raw_uri': '/r/1',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'CONTENT_TYPE': 'application/json', 'CONTENT_LENGTH': '2'},
    'body': b'{}',
}
