# POST with a Content-Length body and a Content-Type (no HTTP_ prefix on either)

request = {
    'method': 'POST',
    'path': '/form',
    'query': '',
    'raw_uri': '/form',
    'protocol': 'HTTP/1.1',
    'headers': {
        'HTTP_HOST': 'x',
        'CONTENT_TYPE': 'application/x-www-form-urlencoded',
        'CONTENT_LENGTH': '7',
    },
    'body': b'a=1&b=2',
}
