# a quoted-string chunk extension value holding a space (RFC 9112 7.1.1);
# gunicorn valid/rfc9112_chunked_ext_quoted_01

request = {'method': 'POST',
 'path': '/c',
 'query': '',
 'raw_uri': '/c',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked'},
 'body': b'hello'}
