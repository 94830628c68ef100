# Authorization in the trailer section (RFC 9110 6.5.1; refused by gunicorn's
# RFC9110_6_5_1_FORBIDDEN_TRAILER)

expect = {'status': 400}
