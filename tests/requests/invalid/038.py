# bare LF line endings throughout (refused, DESIGN.md 7)

expect = {'status': 400}
