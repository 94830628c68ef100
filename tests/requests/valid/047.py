# chunked body in one-byte chunks, with a chunk holding CRLF

request = {
    'method': 'PUT',
    'path': '/c',
    'query': '',
    'raw_uri': '/c',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked'},
    'body': b'ab\r\n',
}
