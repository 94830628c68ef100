# HTTP/1.0 without keep-alive: answered, then closed; no Host needed

request = {
    'method': 'GET',
    'path': '/old',
    'query': '',
    'raw_uri': '/old',
    'protocol': 'HTTP/1.0',
    'headers': {},
    'body': b'',
}
close = True
