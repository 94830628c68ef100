# trailing OWS after Transfer-Encoding: chunked is not part of the value (RFC 9112 5.1)

request = {
    'method': 'POST',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked'},
    'body': b'hello',
}
