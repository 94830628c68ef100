# version without the minor number

expect = {'status': 400}
