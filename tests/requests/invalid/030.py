# chunk data followed by a bare LF

expect = {'status': 400}
