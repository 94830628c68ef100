# h2c upgrade (RFC 7540 3.2): not switched to HTTP/2; answered as HTTP/1.1, then closed

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {
        'HTTP_HOST': 'x',
        'HTTP_CONNECTION': 'Upgrade, HTTP2-Settings',
        'HTTP_UPGRADE': 'h2c',
        'HTTP_HTTP2_SETTINGS': 'AAMAAABkAARAAAAAAAIAAAAA',
    },
    'body': b'',
}
close = True
