# '.' and '|' are tchars in a field name (RFC 9110 5.6.2); HTAB around a value is
# OWS (RFC 9110 5.5); gunicorn valid/rfc9110_field_name_special_chars_01 and
# rfc9110_field_value_htab_trim_01

request = {'method': 'GET',
 'path': '/foo',
 'query': '',
 'raw_uri': '/foo',
 'protocol': 'HTTP/1.1',
 'headers': {'HTTP_HOST': 'example.com', 'HTTP_X.CUSTOM|PIPE': 'ok', 'HTTP_X_VALUE': 'abc'},
 'body': b''}
