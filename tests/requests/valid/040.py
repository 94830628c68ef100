# a body with NUL, CR, LF and high bytes

request = {
    'method': 'POST',
    'path': '/bin',
    'query': '',
    'raw_uri': '/bin',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'CONTENT_TYPE': 'application/octet-stream', 'CONTENT_LENGTH': '8'},
    'body': b'\x00\r\n\xff\xfe\r\r\n',
}
