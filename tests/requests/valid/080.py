# a method that is a token but no registered method reaches the app as sent
# (RFC 9110 9.1; gunicorn valid/031: upper case, 3 to 20 characters)

request = {'method': '-BLARGH',
 'path': '/foo',
 'query': '',
 'raw_uri': '/foo',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': 'x'},
 'body': b''}
