# CR and LF before a request line with a method llhttp does not know are skipped as before
# any request line (RFC 9112 2.2), whichever read they come in. Found by the atheris run:
# b'\\rHEGTT' was refused when fed whole and awaited more bytes when cut after the CR.

request = [{'method': 'FOO', 'path': '/', 'query': '', 'raw_uri': '/', 'protocol': 'HTTP/1.1',
            'headers': {'HTTP_HOST': 'x'}, 'body': b''},
           {'method': 'BAR', 'path': '/2', 'query': '', 'raw_uri': '/2', 'protocol': 'HTTP/1.1',
            'headers': {'HTTP_HOST': 'x'}, 'body': b''}]
