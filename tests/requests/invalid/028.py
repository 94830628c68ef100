# empty chunk size line

expect = {'status': 400}
