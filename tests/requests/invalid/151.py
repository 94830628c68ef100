# a chunk-size line longer than 8 KiB (ours: the line is held until its LF, so it is
# bounded; gunicorn has no bound)

expect = {'status': 400}
