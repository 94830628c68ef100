# repeated header lines are joined with ',' (RFC 9110 5.3)

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_ACCEPT': 'a/b,c/d', 'HTTP_X_MULTI': '1,2,3'},
    'body': b'',
}
