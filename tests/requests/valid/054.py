# close inside a Connection token list

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_CONNECTION': 'keep-alive, Close'},
    'body': b'',
}
close = True
