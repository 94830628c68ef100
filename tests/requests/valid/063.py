# pipelined: the request after Connection: close is not answered

request = [
    {
        'method': 'GET',
        'path': '/a',
        'query': '',
        'raw_uri': '/a',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x'},
        'body': b'',
    },
    {
        'method': 'GET',
        'path': '/b',
        'query': '',
        'raw_uri': '/b',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x', 'HTTP_CONNECTION': 'close'},
        'body': b'',
    },
]
close = True
