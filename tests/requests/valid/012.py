# absolute-form target (RFC 9112 3.2.2): PATH_INFO and QUERY_STRING from its path and query

request = {
    'method': 'GET',
    'path': '/p/a',
    'query': 'q=1',
    'raw_uri': 'http://example.com/p/a?q=1',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'example.com'},
    'body': b'',
}
