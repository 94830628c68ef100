# obs-text (0x80-0xFF) in a value is latin-1 in the environ

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_X_NAME': 'café ÿ'},
    'body': b'',
}
