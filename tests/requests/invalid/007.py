# two identical Content-Length lines (refused, as DESIGN.md 7 asks)

expect = {'status': 400}
