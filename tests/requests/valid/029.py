# empty header values

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_X_EMPTY': '', 'HTTP_X_BLANK': ''},
    'body': b'',
}
