# trailing OWS after Connection: close (RFC 9112 5.1): still close

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_CONNECTION': 'close'},
    'body': b'',
}
close = True
