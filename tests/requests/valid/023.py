# sub-delims and other pchars in the path

request = {
    'method': 'GET',
    'path': "/!$&'()*+,;=:@-._~",
    'query': '',
    'raw_uri': "/!$&'()*+,;=:@-._~",
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
