"""supervisord.conf value types: small pure converters (supervisor's datatypes.py).

Each takes the raw string of an option and returns the value or raises
ValueError with a message that names the bad value; `ini.py` adds the file,
section and option.  The accepted spellings are supervisor 4's, so a file
that supervisord accepts is accepted here and the reverse.
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import signal

TRUTHY_STRINGS = ("yes", "true", "on", "1")
FALSY_STRINGS = ("no", "false", "off", "0")


def integer(value: str | int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an integer: {value!r}") from None


def boolean(value: str | bool) -> bool:
    text = str(value).lower()
    if text in TRUTHY_STRINGS:
        return True
    if text in FALSY_STRINGS:
        return False
    raise ValueError(f"not a valid boolean value: {value!r}")


def process_or_group_name(name: str) -> str:
    """A name may not hold characters that break namespecs or URLs."""
    text = str(name).strip()
    for character in " :/":
        if character in text:
            raise ValueError(f"Invalid name: {name!r} because of character: {character!r}")
    return text


def list_of_strings(value: str | None) -> list[str]:
    if not value:
        return []
    return [item.strip() for item in value.split(",")]


def list_of_exitcodes(value: str) -> list[int]:
    try:
        codes = [int(item) for item in value.split(",")] if value else []
    except ValueError:
        raise ValueError(f"not a valid list of exit codes: {value!r}") from None
    for code in codes:
        if not 0 <= code <= 255:
            raise ValueError(f"not a valid list of exit codes: {value!r}")
    return codes


def dict_of_key_value_pairs(value: str) -> dict[str, str]:
    """``KEY="val",KEY2=val2`` -> dict; quotes allow commas in a value."""
    lexer = shlex.shlex(str(value), posix=True)
    lexer.wordchars += "/.+-():"
    tokens = list(lexer)
    result: dict[str, str] = {}
    for i in range(0, len(tokens), 4):
        triple = tokens[i:i + 3]
        if len(triple) != 3 or triple[1] != "=":
            raise ValueError(f"Unexpected end of key/value pairs in value {value!r}")
        result[triple[0]] = triple[2]
    return result


class Automatic:
    """The AUTO log file: a file in childlogdir, named when the process is made."""


LOGFILE_NONES = ("none", "off")


def logfile_name(value: str | type[Automatic]) -> str | type[Automatic] | None:
    if value is Automatic:
        return Automatic
    text = str(value)
    if text.lower() in LOGFILE_NONES:
        return None
    if text.lower() == "auto":
        return Automatic
    if text.lower() == "syslog":
        raise ValueError("syslog as a log file name is not supported; use NONE and *_syslog")
    return existing_dirpath(text)


def existing_directory(value: str) -> str:
    path = os.path.expanduser(value)
    if os.path.isdir(path):
        return path
    raise ValueError(f"{value} is not an existing directory")


def existing_dirpath(value: str) -> str:
    path = os.path.expanduser(value)
    directory = os.path.dirname(path)
    if not directory or os.path.isdir(directory):
        return path
    raise ValueError(f"The directory named as part of the path {value} does not exist")


_BYTE_SUFFIXES = {"kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3}


def byte_size(value: str | int) -> int:
    text = str(value).strip().lower()
    try:
        factor = _BYTE_SUFFIXES.get(text[-2:])
        if factor is not None:
            return int(text[:-2]) * factor
        return int(text)
    except ValueError:
        raise ValueError(f"not a valid byte size: {value!r}") from None


def octal_type(value: str) -> int:
    try:
        return int(value, 8)
    except (TypeError, ValueError):
        raise ValueError(f"{value} can not be converted to an octal type") from None


_SIGNUMS = {int(sig) for sig in signal.Signals}


def signal_number(value: str | int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        name = str(value).strip().upper()
        if not name.startswith("SIG"):
            name = "SIG" + name
        try:
            number = int(signal.Signals[name])
        except KeyError:
            raise ValueError(f"value {value!r} is not a valid signal name") from None
    if number not in _SIGNUMS:
        raise ValueError(f"value {value!r} is not a valid signal number")
    return number


class RestartWhenExitUnexpected:
    """autorestart=unexpected: restart when the exit code is not in exitcodes."""


class RestartUnconditionally:
    """autorestart=true."""


AutoRestart = type[RestartWhenExitUnexpected] | type[RestartUnconditionally] | bool


def auto_restart(value: str) -> AutoRestart:
    text = str(value).lower()
    if text in TRUTHY_STRINGS:
        return RestartUnconditionally
    if text in FALSY_STRINGS:
        return False
    if text == "unexpected":
        return RestartWhenExitUnexpected
    raise ValueError(f"invalid 'autorestart' value {value!r}")


_LEVELS = {"critical": 50, "crit": 50, "error": 40, "warn": 30, "warning": 30,
           "info": 20, "debug": 10, "trace": 5, "blather": 3}


def logging_level(value: str) -> int:
    """supervisor's level names -> the logging module's numbers (blather/trace below debug)."""
    level = _LEVELS.get(str(value).lower())
    if level is None:
        raise ValueError(f"bad logging level name {value!r}")
    return level


def port_number(value: str) -> int:
    port = integer(value)
    if not 0 < port < 65536:
        raise ValueError(f"not a valid port number: {value!r}")
    return port


def inet_address(value: str) -> tuple[str, int]:
    """``host:port``, ``*:port`` or ``port`` -> (host, port); '' means every address."""
    host = ""
    port_text = value
    if ":" in value:
        host, port_text = value.rsplit(":", 1)
        if not port_text:
            raise ValueError(f"no port number specified in {value!r}")
        host = host.lower()
    port = port_number(port_text)
    return ("" if host == "*" else host), port


def name_to_uid(name: str) -> int:
    try:
        uid = int(name)
    except ValueError:
        try:
            return pwd.getpwnam(name).pw_uid
        except KeyError:
            raise ValueError(f"Invalid user name {name}") from None
    try:
        pwd.getpwuid(uid)
    except KeyError:
        raise ValueError(f"Invalid user id {name}") from None
    return uid


def name_to_gid(name: str) -> int:
    try:
        gid = int(name)
    except ValueError:
        try:
            return grp.getgrnam(name).gr_gid
        except KeyError:
            raise ValueError(f"Invalid group name {name}") from None
    try:
        grp.getgrgid(gid)
    except KeyError:
        raise ValueError(f"Invalid group id {name}") from None
    return gid


def gid_for_uid(uid: int) -> int:
    return pwd.getpwuid(uid).pw_gid


def colon_separated_user_group(value: str) -> tuple[int, int]:
    """``user:group`` or ``user`` -> (uid, gid); gid -1 when not given."""
    try:
        user, _, group = value.partition(":")
        return name_to_uid(user), (name_to_gid(group) if group else -1)
    except ValueError:
        raise ValueError(f"Invalid user:group definition {value}") from None
