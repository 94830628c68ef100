# an Upgrade request with a body: the body is read and passed on, then the connection closes

request = {
    'method': 'POST',
    'path': '/up',
    'query': '',
    'raw_uri': '/up',
    'protocol': 'HTTP/1.1',
    'headers': {
        'HTTP_HOST': 'x',
        'CONTENT_LENGTH': '3',
        'HTTP_UPGRADE': 'websocket',
        'HTTP_CONNECTION': 'keep-alive, Upgrade',
    },
    'body': b'abc',
}
close = True
