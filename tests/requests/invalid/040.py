# a bare LF ending one header line

expect = {'status': 400}
