# a value holding ':' and quotes

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_REFERER': 'http://a:8/b?c=d', 'HTTP_X_Q': '"a, b"; q=0'},
    'body': b'',
}
