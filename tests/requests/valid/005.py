# DELETE without a body

request = {
    'method': 'DELETE',
    'path': '/r/1',
    'query': '',
    'raw_uri': '/r/1',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
