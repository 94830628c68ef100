# an invalid Host value: a port that is not digits (RFC 9110 7.2 uri-host [ ":" port ],
# RFC 3986 port = *DIGIT; RFC 9112 3.2: MUST 400).

expect = {'status': 400}
