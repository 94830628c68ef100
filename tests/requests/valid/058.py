# Expect: 100-continue with a chunked body

request = {
    'method': 'PUT',
    'path': '/up',
    'query': '',
    'raw_uri': '/up',
    'protocol': 'HTTP/1.1',
    'headers': {
        'HTTP_HOST': 'x',
        'HTTP_EXPECT': '100-Continue',
        'HTTP_TRANSFER_ENCODING': 'chunked',
    },
    'body': b'abc',
}
expect_100 = True
