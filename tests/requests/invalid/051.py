# an empty field name

expect = {'status': 400}
