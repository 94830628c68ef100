# PURGE and REPORT: more registered token methods, pipelined

request = [
    {
        'method': 'PURGE',
        'path': '/cache',
        'query': '',
        'raw_uri': '/cache',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x'},
        'body': b'',
    },
    {
        'method': 'REPORT',
        'path': '/dav',
        'query': '',
        'raw_uri': '/dav',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x'},
        'body': b'',
    },
]
