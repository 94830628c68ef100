# HTTP/1.0 without keep-alive: answered, then closed; the request behind it is
# not answered (gunicorn valid/019)

request = {'method': 'GET',
 'path': '/first',
 'query': '',
 'raw_uri': '/first',
 'protocol': 'HTTP/1.0',
 'headers': {},
 'body': b''}
close = True
