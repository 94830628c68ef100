# HTTP/3.0

expect = {
    'status': [
        505,
        400,
    ],
}
