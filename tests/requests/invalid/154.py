# Trailer in the trailer section, in lower case (RFC 9110 6.5.1, 5.1: names are
# case-insensitive; gunicorn refuses it too)

expect = {'status': 400}
