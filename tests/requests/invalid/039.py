# bare CR line endings

expect = {'status': 400}
