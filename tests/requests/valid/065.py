# Upgrade: websocket with Connection: Upgrade (RFC 9110 7.8): the server does not switch;
# it answers the request as plain HTTP/1.1 with Connection: close and closes, so
# whatever follows (here the probe) is never answered

request = {
    'method': 'GET',
    'path': '/ws',
    'query': '',
    'raw_uri': '/ws',
    'protocol': 'HTTP/1.1',
    'headers': {
        'HTTP_HOST': 'x',
        'HTTP_UPGRADE': 'websocket',
        'HTTP_CONNECTION': 'Upgrade',
        'HTTP_SEC_WEBSOCKET_KEY': 'dGhlIHNhbXBsZSBub25jZQ==',
        'HTTP_SEC_WEBSOCKET_VERSION': '13',
    },
    'body': b'',
}
close = True
