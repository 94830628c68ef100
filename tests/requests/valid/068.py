# Upgrade not listed in Connection is no upgrade (RFC 9110 7.8): an ordinary request,
# the connection stays open

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_UPGRADE': 'websocket'},
    'body': b'',
}
