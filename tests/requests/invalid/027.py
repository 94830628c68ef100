# chunk size followed by a space without an extension (BWS only precedes ';')

expect = {'status': 400}
