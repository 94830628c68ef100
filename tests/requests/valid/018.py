# empty query: QUERY_STRING '' while RAW_URI keeps the '?'

request = {
    'method': 'GET',
    'path': '/p',
    'query': '',
    'raw_uri': '/p?',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
