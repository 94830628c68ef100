# a space inside a field name

expect = {'status': 400}
