# a version with a huge major number (gunicorn invalid/prefix_06)

expect = {'status': [400, 505]}
