# HEAD: no body in the response; the environ comes back in X-Echo

request = {
    'method': 'HEAD',
    'path': '/head',
    'query': '',
    'raw_uri': '/head',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
