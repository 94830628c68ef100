"""The control server: supervisor's XML-RPC and log tails over HTTP with basic
auth on unix and inet sockets, and the ``fastwsgi ctl`` client."""
