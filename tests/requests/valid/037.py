# one empty line before the request line is ignored (RFC 9112 2.2)

request = {
    'method': 'GET',
    'path': '/after-crlf',
    'query': '',
    'raw_uri': '/after-crlf',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
