# pipelined GET, Content-Length POST, chunked POST, HEAD and GET

request = [
    {
        'method': 'GET',
        'path': '/1',
        'query': '',
        'raw_uri': '/1',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x'},
        'body': b'',
    },
    {
        'method': 'POST',
        'path': '/2',
        'query': '',
        'raw_uri': '/2',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '5'},
        'body': b'GET /',
    },
    {
        'method': 'POST',
        'path': '/3',
        'query': '',
        'raw_uri': '/3',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked'},
        'body': b'POST',
    },
    {
        'method': 'HEAD',
        'path': '/4',
        'query': '',
        'raw_uri': '/4',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x'},
        'body': b'',
    },
    {
        'method': 'GET',
        'path': '/5',
        'query': 'last',
        'raw_uri': '/5?last',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x'},
        'body': b'',
    },
]
