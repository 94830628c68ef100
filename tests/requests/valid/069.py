# OWS around values is trimmed, leading and trailing; inner spaces and tabs kept (RFC 9112 5.1)

request = {
    'method': 'GET',
    'path': '/',
    'query': '',
    'raw_uri': '/',
    'protocol': 'HTTP/1.1',
    'headers': {
        'HTTP_HOST': 'x',
        'HTTP_X_A': 'spaced  out',
        'HTTP_X_B': 'tab',
        'HTTP_X_C': 'a \t b',
        'HTTP_X_D': 'v',
    },
    'body': b'',
}
