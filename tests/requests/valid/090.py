# a Host reg-name with a sub-delim '=' (RFC 3986 3.2.2); gunicorn valid/002

request = {'method': 'GET',
 'path': '/',
 'query': '',
 'raw_uri': '/',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': '0.0.0.0=5000',
             'HTTP_USER_AGENT': 'curl/7.18.0 (i486-pc-linux-gnu)',
             'HTTP_ACCEPT': '*/*'},
 'body': b''}
