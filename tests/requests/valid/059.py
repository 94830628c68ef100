# Expect: 100-continue without a body gets no 100

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_EXPECT': '100-continue'},
    'body': b'',
}
