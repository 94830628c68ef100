#!/usr/bin/env python3
"""Write docs/settings.md from the settings registry (fastwsgi.config.KNOWN_SETTINGS).

Usage: python scripts/build_settings_doc.py [OUTPUT]   (default: docs/settings.md)

Run it after changing any Setting: tests/unit/test_settings_doc.py fails while
the page differs from what this script writes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastwsgi.config import Setting, sections

BANNER = """\
<!-- Generated file — do not edit. Run: python scripts/build_settings_doc.py -->
> **Generated file — do not edit.** Update the `Setting` classes in
> `fastwsgi/config/settings_*.py` and run `python scripts/build_settings_doc.py`.
"""

INTRO = """\
# Settings

Every option, grouped by section. Each can be given on the command line (when
it has a flag), in `FASTWSGI_CMD_ARGS` or `GUNICORN_CMD_ARGS` (same syntax as
the command line, e.g. `FASTWSGI_CMD_ARGS="--bind=127.0.0.1 --workers=3"`), or
as a module-level name in a Python config file (`-c file.py`,
`-c python:module`, or `./fastwsgi.conf.py` / `./gunicorn.conf.py` when present).

Precedence, highest first: command line, `FASTWSGI_CMD_ARGS`,
`GUNICORN_CMD_ARGS`, config file, defaults.

Names, flags and defaults are gunicorn's wherever gunicorn has the option.
Settings marked **ignored** are accepted so that gunicorn configurations keep
working, but have no effect; the server logs one line for each one set to a
non-default value.
"""


def render() -> str:
    parts = [BANNER, INTRO]
    for section, members in sections():
        parts.append(f"## {section}\n")
        parts.extend(render_setting(setting) for setting in members)
    return "\n".join(parts).rstrip() + "\n"


def render_setting(setting: type[Setting]) -> str:
    lines = [f"### `{setting.name}`\n"]
    if setting.cli:
        flags = ", ".join(f"`{flag}{_metavar(setting)}`" for flag in setting.cli)
        lines.append(f"**Command line:** {flags}  ")
    lines.append(f"**Default:** `{setting.default_text()}`  ")
    if not setting.implemented:
        lines.append(f"**Status:** ignored (accepted for gunicorn compatibility): {setting.lost}  ")
    lines.append("")
    lines.append(setting.desc)
    lines.append("")
    return "\n".join(lines)


def _metavar(setting: type[Setting]) -> str:
    if setting.meta and setting.action in (None, "store", "append"):
        return f" {setting.meta}"
    return ""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="build_settings_doc.py",
        description="Write the settings reference generated from the settings registry.")
    parser.add_argument("output", nargs="?", type=Path, default=ROOT / "docs" / "settings.md",
                        help="where to write the page (default: docs/settings.md)")
    output: Path = parser.parse_args(argv[1:]).output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(), encoding="utf-8")
    print(f"wrote {os.path.relpath(output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
