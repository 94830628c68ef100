# a '?' inside the query belongs to the query

request = {
    'method': 'GET',
    'path': '/p',
    'query': 'a=1?b=2',
    'raw_uri': '/p?a=1?b=2',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
