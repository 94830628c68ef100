# chunk size with leading whitespace

expect = {'status': 400}
