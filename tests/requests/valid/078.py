# chunk extensions with BWS (SP or HTAB) before ';' and around '=' (RFC 9112 7.1.1)

request = {'method': 'POST',
 'path': '/c',
 'query': '',
 'raw_uri': '/c',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked'},
 'body': b'hello!'}
