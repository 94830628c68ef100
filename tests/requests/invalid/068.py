# version with three parts

expect = {'status': 400}
