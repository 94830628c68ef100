# absolute-form with https, a port and userinfo-free authority

request = {
    'method': 'GET',
    'path': '/x y',
    'query': 'z',
    'raw_uri': 'https://example.com:8443/x%20y?z',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'example.com:8443'},
    'body': b'',
}
