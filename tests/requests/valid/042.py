# chunked body

request = {
    'method': 'POST',
    'path': '/c',
    'query': '',
    'raw_uri': '/c',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked'},
    'body': b'hello world',
}
