# dot segments and ';' parameters are passed through untouched

request = {
    'method': 'GET',
    'path': '/a/../b/./c;v=1',
    'query': '',
    'raw_uri': '/a/../b/./c;v=1',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
