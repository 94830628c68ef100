# TE in the trailer section (RFC 9110 6.5.1; gunicorn refuses it too)

expect = {'status': 400}
