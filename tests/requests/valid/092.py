# chunk extensions whose values are quoted-strings with quoted-pairs, an empty quoted
# value and obs-text, with BWS around ';' and '=' (RFC 9112 7.1.1, RFC 9110 5.6.4)

request = {'method': 'POST',
 'path': '/c',
 'query': '',
 'raw_uri': '/c',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked'},
 'body': b'hello!'}
