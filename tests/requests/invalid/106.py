# PROXY UNKNOWN (v1) while the PROXY protocol is off

expect = {
    'status': [
        501,
        400,
    ],
}
