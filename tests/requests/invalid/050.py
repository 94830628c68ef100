# NUL starting a header line

expect = {'status': 400}
