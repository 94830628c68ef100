# header names with '_' are dropped (CVE-2015-0219), their '-' twins kept

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_X_FORWARDED_FOR': '10.0.0.1'},
    'body': b'',
}
