# a '_' Transfer-Encoding look-alike does not change the framing

request = {
    'method': 'POST',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'CONTENT_LENGTH': '3'},
    'body': b'abc',
}
