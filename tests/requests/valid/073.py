# HTTP/1.2 and HTTP/1.9: a higher minor version is served as HTTP/1.1 (RFC 9110 2.5),
# SERVER_PROTOCOL is the version the server speaks

request = [
    {
        'method': 'GET',
        'path': '/2',
        'query': '',
        'raw_uri': '/2',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x'},
        'body': b'',
    },
    {
        'method': 'GET',
        'path': '/9',
        'query': '',
        'raw_uri': '/9',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x'},
        'body': b'',
    },
]
