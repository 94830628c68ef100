# percent-encoded latin-1 and UTF-8 bytes: PATH_INFO holds the bytes as latin-1

request = {
    'method': 'GET',
    'path': '/café/Ã©',
    'query': '',
    'raw_uri': '/caf%E9/%C3%A9',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
