# a tab between a field name and the colon

expect = {'status': 400}
