# OPTIONS * (asterisk-form, RFC 9112 3.2.4): the target is no path, so PATH_INFO is
# empty and wsgiref's validator accepts the environ; RAW_URI keeps the '*'
# (gunicorn valid/rfc9112_target_asterisk_options_01)

request = {
    'method': 'OPTIONS',
    'path': '',
    'query': '',
    'raw_uri': '*',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
