# '"' in the path and query: not a URI character (RFC 3986), accepted by llhttp
# and gunicorn alike (gunicorn valid/014)

request = {'method': 'GET',
 'path': '/with_"quotes"',
 'query': 'foo="bar"',
 'raw_uri': '/with_"quotes"?foo="bar"',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': 'x'},
 'body': b''}
