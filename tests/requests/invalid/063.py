# HTTP/0.9 spelled out (a major version not served: 505)

expect = {'status': 505}
