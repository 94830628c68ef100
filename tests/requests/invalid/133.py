# a bare LF inside a field line hiding a Content-Length and a request
# (gunicorn invalid/invalid_field_value_01)

expect = {'status': 400}
