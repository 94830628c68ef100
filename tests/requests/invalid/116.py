# a token method with lower-case letters and under 3 characters: refused by
# gunicorn's default rule (permit_unconventional_http_method off; gunicorn invalid/003c)

expect = {'status': 400}
