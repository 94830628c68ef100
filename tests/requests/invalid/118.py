# a method ending in ':' (gunicorn invalid/prefix_05)

expect = {'status': 400}
