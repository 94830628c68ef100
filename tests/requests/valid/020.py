# a fragment (not allowed in a request-target, tolerated): stripped from PATH_INFO and QUERY_STRING

request = {
    'method': 'GET',
    'path': '/p',
    'query': 'q=1',
    'raw_uri': '/p?q=1#frag',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x'},
    'body': b'',
}
