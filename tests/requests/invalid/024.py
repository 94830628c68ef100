# chunk size with a 0x prefix

expect = {'status': 400}
