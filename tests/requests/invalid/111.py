# 'Transfer-Encoding: chunked<TAB>': by RFC 9112 §5.1 the tab is OWS and the
# coding is chunked, but llhttp (which frames the body) does not read it as
# chunked.  The server refuses rather than guess at the framing: a front end
# and this server disagreeing on where a body ends is request smuggling.
expect = {"status": 400}
