# DELETE with a chunked body and a Content-Type

request = {
    'method': 'DELETE',
    'path': '/c',
    'query': '',
    'raw_uri': '/c',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'CONTENT_TYPE': 'text/plain', 'HTTP_TRANSFER_ENCODING': 'chunked'},
    'body': b'ok',
}
