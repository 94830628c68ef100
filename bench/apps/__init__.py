"""WSGI applications under test.

Every module exposes ``app``. The runner knows each scenario's expected response
(status 200 and the body below), so a server that answers wrongly scores nothing.
"""
