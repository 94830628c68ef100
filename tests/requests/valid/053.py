# Connection: CLOSE in upper case

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_CONNECTION': 'CLOSE'},
    'body': b'',
}
close = True
