# a '(' in the method

expect = {'status': 400}
