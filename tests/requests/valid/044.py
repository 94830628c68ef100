# chunked with upper- and lower-case hex sizes and leading zeros

request = {
    'method': 'POST',
    'path': '/c',
    'query': '',
    'raw_uri': '/c',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked'},
    'body': b'0123456789bbbbbbbbbbbbbbbbbbbbbbbbbbc',
}
