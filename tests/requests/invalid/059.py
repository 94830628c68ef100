# a tab instead of the space after the method

expect = {'status': 400}
