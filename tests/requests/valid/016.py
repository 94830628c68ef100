# malformed escapes are left as they are

request = {
    'method': 'GET',
    'path': '/%zz/%4',
    'query': '',
    'raw_uri': '/%zz/%4',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
