# chunk extensions with BWS after ';' (RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS
# chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )); gunicorn valid/013

request = {'method': 'POST',
 'path': '/c',
 'query': '',
 'raw_uri': '/c',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': 'x', 'HTTP_TRANSFER_ENCODING': 'chunked'},
 'body': b'hello world'}
