# HTTP/1.0 with Connection: close, keep-alive: close wins (RFC 9112 9.6)

request = {
    'method': 'GET',
    'path': '/old',
    'query': '',
    'raw_uri': '/old',
    'protocol': 'HTTP/1.0',
    'headers': {'HTTP_CONNECTION': 'close, keep-alive'},
    'body': b'',
}
close = True
