"""HTTP basic authentication as supervisord checks it.

supervisord's ``[unix_http_server]`` and ``[inet_http_server]`` take one
``username`` and one ``password``; a password that starts with ``{SHA}`` is the
hex SHA-1 of the real one (``echo -n secret | sha1sum``), anything else is
compared as is. Comparisons are constant-time, so a wrong guess tells the
client nothing about how close it was.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac

SHA_PREFIX = "{SHA}"


class BasicAuth:
    """One user and its password (plain, or ``{SHA}`` + hex SHA-1)."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._password = password

    def check_credentials(self, username: str, password: str) -> bool:
        name_ok = hmac.compare_digest(username.encode(), self.username.encode())
        if self._password.startswith(SHA_PREFIX):
            digest = hashlib.sha1(password.encode()).hexdigest()
            pass_ok = hmac.compare_digest(digest, self._password[len(SHA_PREFIX):].lower())
        else:
            pass_ok = hmac.compare_digest(password.encode(), self._password.encode())
        return name_ok and pass_ok

    def check_header(self, value: str | None) -> bool:
        """True if ``value`` (an Authorization header, or None) names our user."""
        if not value:
            return False
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = binascii.a2b_base64(token.strip().encode("ascii")).decode("utf-8")
        except (ValueError, UnicodeError):
            return False
        username, sep, password = decoded.partition(":")
        return bool(sep) and self.check_credentials(username, password)


def make_auth(username: str | None, password: str | None) -> BasicAuth | None:
    """The checker for a server section, or None when it asks for no auth
    (supervisord: no username means no authentication)."""
    if not username:
        return None
    return BasicAuth(username, password or "")
