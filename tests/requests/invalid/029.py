# chunk data not followed by CRLF

expect = {'status': 400}
