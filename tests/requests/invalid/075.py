# the HTTP/2 connection preface sent to an HTTP/1.1 server

expect = {
    'status': [
        400,
        505,
    ],
}
