# header names are case-insensitive

request = {
    'method': 'POST',
    'path': '/c',
    'query': '',
    'raw_uri': '/c',
    'protocol': 'HTTP/1.1',
    'headers': {
        'HTTP_HOST': 'x',
        'CONTENT_LENGTH': '2',
        'CONTENT_TYPE': 'text/plain',
        'HTTP_USER_AGENT': 't',
    },
    'body': b'ok',
}
