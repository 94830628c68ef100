# absolute-form with an IP-literal host (RFC 9112 3.2.2, RFC 3986 3.2.2);
# gunicorn valid/rfc9112_target_absolute_ipv6_01

request = {'method': 'GET',
 'path': '/foo',
 'query': '',
 'raw_uri': 'http://[::1]:8080/foo',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': '[::1]:8080'},
 'body': b''}
