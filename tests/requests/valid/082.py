# authority-form with CONNECT (RFC 9112 3.2.3): no path, so PATH_INFO is empty;
# RAW_URI keeps the target. Not tunnelled: answered, then the connection closes.
# gunicorn valid/rfc9112_target_authority_connect_01

request = {'method': 'CONNECT',
 'path': '',
 'query': '',
 'raw_uri': 'example.com:443',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': 'example.com:443'},
 'body': b''}
close = True
