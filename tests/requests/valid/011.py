# TRACE

request = {
    'method': 'TRACE',
    'path': '/t',
    'query': '',
    'raw_uri': '/t',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_MAX_FORWARDS': '0'},
    'body': b'',
}
