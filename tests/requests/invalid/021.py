# chunk size beyond 64 bits

expect = {'status': 400}
