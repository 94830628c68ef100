# a space after the version

expect = {'status': 400}
