# absolute-form with userinfo and a port, served as gunicorn serves it
# (gunicorn valid/rfc9112_target_absolute_userinfo_01)

request = {'method': 'GET',
 'path': '/foo',
 'query': 'q=1',
 'raw_uri': 'http://user:pass@example.com:8080/foo?q=1',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': 'example.com:8080'},
 'body': b''}
