# an empty Host is allowed (RFC 9110 7.2)

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': ''},
    'body': b'',
}
