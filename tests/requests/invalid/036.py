# obs-fold with a tab

expect = {'status': 400}
