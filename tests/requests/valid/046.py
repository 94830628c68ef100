# trailer fields after the last chunk are read and not passed on

request = {
    'method': 'POST',
    'path': '/c',
    'query': '',
    'raw_uri': '/c',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked', 'HTTP_TRAILER': 'X-Sum'},
    'body': b'data',
}
