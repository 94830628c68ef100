# chunk size with trailing junk

expect = {'status': 400}
