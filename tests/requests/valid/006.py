# OPTIONS on a path

request = {
    'method': 'OPTIONS',
    'path': '/r',
    'query': '',
    'raw_uri': '/r',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
