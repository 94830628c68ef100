# Expect: 100-continue from HTTP/1.0 gets no 100 (RFC 9110 10.1.1)

request = {
    'method': 'POST',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.0',
    'headers': {
        'HTTP_EXPECT': '100-continue',
        'CONTENT_LENGTH': '2',
        'HTTP_CONNECTION': 'keep-alive',
    },
    'body': b'hi',
}
