# a space inside an absolute-form authority

expect = {'status': 400}
