# a folded trailer field

expect = {'status': 400}
