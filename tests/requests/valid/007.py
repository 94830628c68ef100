# OPTIONS * (asterisk-form, RFC 9112 3.2.4): PATH_INFO '*', which wsgiref's validator refuses

request = {
    'method': 'OPTIONS',
    'path': '*',
    'query': '',
    'raw_uri': '*',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
use_validator = False
