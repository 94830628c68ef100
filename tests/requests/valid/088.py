# a body that looks like a request is the body (gunicorn valid/020)

request = {'method': 'GET',
 'path': '/first',
 'query': '',
 'raw_uri': '/first',
 'protocol': 'HTTP/1.0',
 'headers': {'CONTENT_LENGTH': '24'},
 'body': b'GET /second HTTP/1.1\r\n\r\n'}
close = True
