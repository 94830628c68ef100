# a method with lower-case letters: a token, but refused by gunicorn's default rule
# (permit_unconventional_http_method off: no a-z or '#', 3 to 20 characters): 400

expect = {'status': 400}
