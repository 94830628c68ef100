"""Small pure validators for settings (supervisor's ``datatypes.py`` idea).

Each validator takes the raw value (a string from the command line or the
environment, or any Python object from a config file) and returns the
normalised value, or raises ``ValueError``/``TypeError``.

Rule for messages: the message is a short phrase that reads well inside
parentheses after the offending value, usually ``"expected ..."``. The
config machinery builds the full line:
``invalid value for 'workers': 'abc' (expected a positive integer)``.
"""

from __future__ import annotations

import grp
import importlib
import inspect
import os
import pwd
import re
from collections.abc import Callable
from typing import Any

Validator = Callable[[Any], Any]

# gunicorn accepts only "true"/"false"; supervisor also accepts these forms,
# and a config written for either must keep working.
_TRUE_WORDS = frozenset({"true", "yes", "on", "1", "y", "t"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0", "n", "f"})

_ADDRESS_FORMS = "HOST, HOST:PORT, [IPv6]:PORT, unix:PATH or fd://FD"


# -- scalars -----------------------------------------------------------------


def validate_bool(val: Any) -> bool | None:
    """A boolean; strings such as "true"/"false"/"yes"/"off" are accepted."""
    if val is None or isinstance(val, bool):
        return val
    if isinstance(val, int) and val in (0, 1):
        return bool(val)
    if isinstance(val, str):
        word = val.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise ValueError("expected a boolean: true or false")
    raise TypeError("expected a boolean: true or false")


def _to_int(val: Any, expected: str) -> int:
    # bool is an int subclass, but `workers = True` is always a mistake.
    if isinstance(val, bool):
        raise TypeError(expected)
    if isinstance(val, int):
        return val
    if isinstance(val, float) and val.is_integer():
        return int(val)
    if isinstance(val, str):
        text = val.strip()
        try:
            # Base 0 accepts 0x/0o/0b prefixes, as gunicorn's int(val, 0) does.
            return int(text, 0)
        except ValueError:
            pass
        try:
            return int(text, 10)  # "030": base 0 refuses leading zeros
        except ValueError:
            raise ValueError(expected) from None
    raise TypeError(expected)


def validate_pos_int(val: Any) -> int:
    """An integer >= 1 (workers, threads, backlog)."""
    expected = "expected a positive integer"
    number = _to_int(val, expected)
    if number < 1:
        raise ValueError(expected)
    return number


def validate_non_negative_int(val: Any) -> int:
    """An integer >= 0; 0 usually means "off" or "unlimited"."""
    expected = "expected an integer >= 0"
    number = _to_int(val, expected)
    if number < 0:
        raise ValueError(expected)
    return number


def validate_non_negative_number(val: Any) -> int | float:
    """A number >= 0 (seconds may be fractional)."""
    expected = "expected a number >= 0"
    if isinstance(val, bool):
        raise TypeError(expected)
    if isinstance(val, str):
        try:
            val = float(val.strip())
        except ValueError:
            raise ValueError(expected) from None
    if not isinstance(val, (int, float)):
        raise TypeError(expected)
    if not val >= 0:  # also refuses NaN
        raise ValueError(expected)
    if isinstance(val, float) and val.is_integer():
        return int(val)
    return val


def validate_string(val: Any) -> str | None:
    """A string, stripped; None stays None (meaning "not set")."""
    if val is None:
        return None
    if not isinstance(val, str):
        raise TypeError("expected a string")
    return val.strip()


def _parse_mode(val: Any, expected: str, upper: int) -> int:
    # "0022" is octal (gunicorn's auto_int); "18", "0o22", "0x12" as int(x, 0).
    if isinstance(val, str) and re.fullmatch(r"\s*0\d+\s*", val):
        try:
            number = int(val.strip(), 8)
        except ValueError:
            raise ValueError(expected) from None
    else:
        number = _to_int(val, expected)
    if not 0 <= number <= upper:
        raise ValueError(expected)
    return number


def validate_umask(val: Any) -> int:
    """A umask: an int, or a string such as "0022", "0o22", "18"."""
    return _parse_mode(val, "expected a umask such as 0o22 or '0022'", 0o777)


def validate_file_mode(val: Any) -> int:
    """A file permission mode such as 0o600 or '0600'."""
    return _parse_mode(val, "expected a file mode such as 0o600 or '0600'", 0o7777)


def validate_choice(*choices: str) -> Validator:
    """One of ``choices`` (case-insensitive); returns the lower-case form."""
    expected = "expected one of: " + ", ".join(choices)

    def _validate(val: Any) -> str:
        if not isinstance(val, str):
            raise TypeError(expected)
        word = val.strip().lower()
        if word not in choices:
            raise ValueError(expected)
        return word

    return _validate


def validate_dict(val: Any) -> dict[Any, Any]:
    """A dict; copied so a config file's object is never shared."""
    if not isinstance(val, dict):
        raise TypeError("expected a dict")
    return dict(val)


# -- lists -------------------------------------------------------------------


def validate_list_string(val: Any) -> list[str]:
    """A list of strings; a single string is a one-item list (gunicorn's legacy form)."""
    if not val:
        return []
    if isinstance(val, str):
        val = [val]
    if not isinstance(val, (list, tuple)):
        raise TypeError("expected a list of strings")
    return [_item_string(item, "expected a list of strings") for item in val]


def _item_string(item: Any, expected: str) -> str:
    if not isinstance(item, str):
        raise TypeError(expected)
    return item.strip()


def validate_string_to_list(val: Any) -> list[str]:
    """A comma-separated string (or a list) → list of non-empty strings."""
    if val is None:
        return []
    if isinstance(val, str):
        return [part.strip() for part in val.split(",") if part.strip()]
    return [item for item in validate_list_string(val) if item]


def _is_plain_address(text: str) -> bool:
    """An IPv4 or IPv6 address, checked without ipaddress: the engine
    validates the default allow lists in every worker, and a module imported
    there stays resident."""
    import socket

    try:
        socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
    except (OSError, ValueError):
        return False
    return True


def validate_ip_allow_list(val: Any) -> list[str]:
    """Comma-separated IPs or CIDR networks, or "*" for any address."""
    items = validate_string_to_list(val)
    for item in items:
        if item == "*" or _is_plain_address(item):
            continue
        import ipaddress  # only for a network: see config.loading.PARSING_MODULES

        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError("expected IP addresses or networks separated by commas, or '*'")
    return items


def validate_env_list(val: Any) -> list[str]:
    """A list of "KEY=VALUE" strings (raw_env)."""
    items = validate_list_string(val)
    for item in items:
        key, sep, _ = item.partition("=")
        if not sep or not key:
            raise ValueError("expected KEY=VALUE entries")
    return items


def validate_address_list(val: Any) -> list[str]:
    """Listen addresses: HOST, HOST:PORT, [IPv6]:PORT, unix:PATH, fd://FD."""
    items = validate_list_string(val)
    if not items:
        raise ValueError(f"expected at least one address ({_ADDRESS_FORMS})")
    for item in items:
        try:
            _check_address(item)
        except ValueError as exc:
            if len(items) == 1:
                raise
            raise ValueError(f"{item!r}: {exc}") from None  # say which one
    return items


def _check_address(address: str) -> None:
    expected = f"expected {_ADDRESS_FORMS}"
    if not address:
        raise ValueError(expected)
    if address.startswith("unix:"):
        # unix:PATH, or unix://PATH (gunicorn's other spelling)
        path = address[len("unix:"):].removeprefix("//")
        if not path:
            raise ValueError(expected)
        return
    if address.startswith("fd://"):
        if not address[len("fd://"):].isdigit():
            raise ValueError(expected)
        return
    address = address.removeprefix("tcp://")
    host, port = _split_host_port(address, expected)
    if host.startswith("["):
        _check_ipv6(host, expected)
    elif host.count(":"):
        raise ValueError(expected)  # a bare IPv6 address needs brackets
    if port is not None and not (port.isdigit() and int(port) <= 65535):
        raise ValueError(expected)


def _split_host_port(address: str, expected: str) -> tuple[str, str | None]:
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            raise ValueError(expected)
        rest = address[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(expected)
        return address[: end + 1], (rest[1:] if rest else None)
    if address.count(":") == 1:
        host, port = address.split(":")
        return host, port
    return address, None


def _check_ipv6(bracketed: str, expected: str) -> None:
    import ipaddress  # here, not at the top: see config.loading.PARSING_MODULES

    try:
        ipaddress.IPv6Address(bracketed[1:-1].split("%")[0])
    except ValueError:
        raise ValueError(expected) from None


# -- files and identities ----------------------------------------------------


def validate_file_exists(val: Any) -> str | None:
    """An existing path; None stays None."""
    path = validate_string(val)
    if path is None:
        return None
    if not os.path.exists(path):
        raise ValueError("no such file")
    return path


def validate_list_of_existing_files(val: Any) -> list[str]:
    """Existing paths; entries with glob characters are patterns, checked later."""
    import glob  # here, not at the top: see config.loading.PARSING_MODULES

    items = validate_list_string(val)
    for item in items:
        if not glob.has_magic(item) and not os.path.exists(item):
            raise ValueError(f"no such file: {item!r}")
    return items


def validate_chdir(val: Any) -> str:
    """An existing directory, returned as an absolute path."""
    path = validate_string(val)
    if not path:
        raise ValueError("expected a directory")
    path = os.path.abspath(os.path.normpath(path))
    if not os.path.isdir(path):
        raise ValueError("no such directory")
    return path


def validate_user(val: Any) -> int:
    """A user name or uid; None means the current effective uid."""
    if val is None:
        return os.geteuid()
    number = _numeric_id(val, "expected a user name or uid")
    if number is not None:
        return number
    try:
        return pwd.getpwnam(val.strip()).pw_uid
    except KeyError:
        raise ValueError("no such user") from None


def validate_group(val: Any) -> int:
    """A group name or gid; None means the current effective gid."""
    if val is None:
        return os.getegid()
    number = _numeric_id(val, "expected a group name or gid")
    if number is not None:
        return number
    try:
        return grp.getgrnam(val.strip()).gr_gid
    except KeyError:
        raise ValueError("no such group") from None


def _numeric_id(val: Any, expected: str) -> int | None:
    # Returns the id for an int or a string of digits, None for a name.
    if isinstance(val, bool) or not isinstance(val, (int, str)):
        raise TypeError(expected)
    if isinstance(val, int):
        if val < 0:
            raise ValueError(expected)
        return val
    if not val.strip():
        raise ValueError(expected)
    return int(val) if val.strip().isdigit() else None


# -- callables and classes ---------------------------------------------------


def validate_callable(arity: int) -> Validator:
    """A callable (or "module.attr" naming one) callable with ``arity`` positional args.

    ``arity`` -1 skips the argument check. Unlike gunicorn's exact count of
    parameters, any signature that can bind ``arity`` positional arguments is
    accepted (defaults and ``*args`` included): everything gunicorn accepts
    still passes.
    """

    def _validate(val: Any) -> Callable[..., Any]:
        if isinstance(val, str):
            val = import_dotted(val)
        if not callable(val):
            raise TypeError("expected a callable or a 'module.function' string")
        if arity >= 0 and not accepts_positional(val, arity):
            raise TypeError(f"expected a callable taking {arity} positional argument(s)")
        return val

    return _validate


def import_dotted(path: str) -> Any:
    """Import "package.module.attr" (or "package.module:attr") and return attr."""
    text = path.strip()
    module_name, sep, attr = text.partition(":")
    if not sep:
        module_name, _, attr = text.rpartition(".")
    if not module_name or not attr:
        raise TypeError("expected an import path such as 'package.module.function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TypeError(f"cannot import {module_name!r}: {exc}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise TypeError(f"{module_name!r} has no attribute {attr!r}") from None


def accepts_positional(func: Callable[..., Any], count: int) -> bool:
    """True when ``func`` can be called with ``count`` positional arguments."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return True  # some builtins have no signature: let the call decide
    try:
        signature.bind(*range(count))
    except TypeError:
        return False
    return True


def validate_post_request(val: Any) -> Callable[..., Any]:
    """post_request hook: 2, 3 or 4 arguments, always called with 4 (as gunicorn)."""
    func = validate_callable(-1)(val)
    if accepts_positional(func, 4):
        return func
    if accepts_positional(func, 3):
        return lambda worker, req, environ, _resp: func(worker, req, environ)
    if accepts_positional(func, 2):
        return lambda worker, req, _environ, _resp: func(worker, req)
    raise TypeError("expected a callable taking 2 to 4 positional arguments")


def validate_class(val: Any) -> Any:
    """A class, or a string naming one (worker_class, logger_class)."""
    if inspect.isfunction(val) or inspect.ismethod(val):
        val = val()  # gunicorn allows a function returning the class
    if inspect.isclass(val):
        return val
    name = validate_string(val)
    if not name:
        raise ValueError("expected a class or a class name")
    return name


# -- settings with their own small grammars ----------------------------------


def validate_proxy_protocol(val: Any) -> str:
    """off, v1, v2 or auto; booleans keep gunicorn 23's on/off meaning."""
    if val is None:
        return "off"
    if isinstance(val, bool):
        return "auto" if val else "off"
    if isinstance(val, str) and val.strip().lower() in ("true", "false"):
        return "auto" if val.strip().lower() == "true" else "off"
    return str(validate_choice("off", "v1", "v2", "auto")(val))


def validate_protocol_list(*choices: str) -> Validator:
    """A comma-separated list, each item one of ``choices``."""
    expected = "expected a comma-separated list of: " + ", ".join(choices)

    def _validate(val: Any) -> list[str]:
        items = [item.lower() for item in validate_string_to_list(val)]
        if not items or any(item not in choices for item in items):
            raise ValueError(expected)
        return items

    return _validate


def validate_any(val: Any) -> Any:
    """Accept any value unchanged (for deprecated settings that are ignored)."""
    return val
