# a PROXY protocol v1 header while the PROXY protocol is off: an unknown method
# 'PROXY' (501), or a malformed request line (400); nothing after it is answered

expect = {
    'status': [
        501,
        400,
    ],
}
