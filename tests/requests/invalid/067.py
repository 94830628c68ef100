# version with two-digit major

expect = {'status': 400}
