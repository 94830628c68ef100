# every tchar in a header name

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', "HTTP_X_T!#$%&'*+.^`|~09": 'v'},
    'body': b'',
}
