# unknown token methods, pipelined: each reaches the app (gunicorn's default rule:
# no lower-case letter or '#', 3 to 20 characters, a token)

request = [{'method': 'FOO',
  'path': '/',
  'query': '',
  'raw_uri': '/',
  'protocol': 'HTTP/1.1',
  'headers': {'HTTP_HOST': 'x'},
  'body': b''},
 {'method': 'FOO-BAR_1.~',
  'path': '/2',
  'query': '',
  'raw_uri': '/2',
  'protocol': 'HTTP/1.1',
  'headers': {'HTTP_HOST': 'x'},
  'body': b''}]
