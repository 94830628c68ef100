# '//' at the start of an origin-form path is a path, not an authority

request = {
    'method': 'GET',
    'path': '//a//b',
    'query': '',
    'raw_uri': '//a//b',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
