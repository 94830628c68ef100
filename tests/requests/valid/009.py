# PROPFIND: a WebDAV token method (RFC 4918) reaches the app as is

request = {
    'method': 'PROPFIND',
    'path': '/dav/',
    'query': '',
    'raw_uri': '/dav/',
    'protocol': 'HTTP/1.1',
    'headers': {'HTTP_HOST': 'x', 'HTTP_DEPTH': '1'},
    'body': b'',
}
