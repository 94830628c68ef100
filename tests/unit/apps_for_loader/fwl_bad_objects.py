"""Loader fixture: objects that are not WSGI applications."""

app = 42
application = None
