# NUL in the query

expect = {'status': 400}
