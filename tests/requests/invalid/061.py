# HTTP/0.9 simple request (no version): not served (400: no HTTP-version; 505: version 0.9)

expect = {
    'status': [
        400,
        505,
    ],
}
