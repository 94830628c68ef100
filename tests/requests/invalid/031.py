# chunk size line ended by a bare LF

expect = {'status': 400}
