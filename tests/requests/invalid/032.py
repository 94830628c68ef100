# a control character in a chunk extension

expect = {'status': 400}
