# a request-target that is neither origin-form nor absolute-form

expect = {'status': 400}
