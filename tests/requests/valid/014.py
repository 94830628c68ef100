# percent-encoded space and %2F: PATH_INFO decoded (PEP 3333), RAW_URI kept

request = {
    'method': 'GET',
    'path': '/a b/c/d',
    'query': '',
    'raw_uri': '/a%20b/c%2Fd',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
