# a header line without a colon

expect = {'status': 400}
