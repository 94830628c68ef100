# query stays raw (not decoded)

request = {
    'method': 'GET',
    'path': '/s',
    'query': 'a=%20&b=%2F&c=+',
    'raw_uri': '/s?a=%20&b=%2F&c=+',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
