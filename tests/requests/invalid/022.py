# negative chunk size

expect = {'status': 400}
