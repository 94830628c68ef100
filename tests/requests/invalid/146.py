# CONNECT with a Content-Length (RFC 9110 9.3.6: a CONNECT request has no content;
# what follows its head would be the tunnel's, and the body would never reach the
# app). Found by tests/test_fuzz.py: the app saw CONTENT_LENGTH 5 and an empty body.

expect = {'status': 400}
