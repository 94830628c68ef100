# authority-form with an IPv6 literal (RFC 9112 3.2.3); gunicorn
# valid/rfc9112_target_authority_ipv6_01

request = {'method': 'CONNECT',
 'path': '',
 'query': '',
 'raw_uri': '[::1]:443',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': '[::1]:443'},
 'body': b''}
close = True
