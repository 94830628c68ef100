"""Loader fixture: imports a module that does not exist."""

import fwl_no_such_dependency  # noqa: F401

app = None
