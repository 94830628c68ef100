# HTTP/1.0 with Connection: keep-alive stays open

request = {
    'method': 'GET',
    'path': '/old',
    'query': '',
    'raw_uri': '/old',
    'protocol': 'HTTP/1.0',
    'headers': {'HTTP_CONNECTION': 'keep-alive'},
    'body': b'',
}
