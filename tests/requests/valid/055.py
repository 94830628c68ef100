# Connection: close in a second Connection line

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_CONNECTION': 'x-foo,close'},
    'body': b'',
}
close = True
