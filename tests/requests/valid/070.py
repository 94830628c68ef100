# trailing OWS after a Content-Length, a space or a tab, is not part of the value (RFC 9112 5.1)

request = [
    {
        'method': 'POST',
        'path': '/',
        'query': '',
        'raw_uri': '/',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '1'},
        'body': b'a',
    },
    {
        'method': 'POST',
        'path': '/',
        'query': '',
        'raw_uri': '/',
        'protocol': 'HTTP/1.1',
        'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '2'},
        'body': b'bc',
    },
]
