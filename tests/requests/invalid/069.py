# version with a letter

expect = {'status': 400}
