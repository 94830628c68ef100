# Connection: keep-alive in HTTP/1.1 is the default anyway

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_CONNECTION': 'keep-alive'},
    'body': b'',
}
