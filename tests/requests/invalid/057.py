# a method with a space before the request line

expect = {'status': 400}
