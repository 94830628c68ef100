# pipelined HTTP/1.0 keep-alive then HTTP/1.1

request = [
    {
        'method': 'GET',
        'path': '/a',
        'query': '',
        'raw_uri': '/a',
        'protocol': 'HTTP/1.0',
        'headers': {'HTTP_CONNECTION': 'Keep-Alive'},
        'body': b'',
    },
    {
        'method': 'POST',
        'path': '/b',
        'query': '',
        'raw_uri': '/b',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '1'},
        'body': b'z',
    },
]
