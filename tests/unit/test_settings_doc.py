"""docs/settings.md is what scripts/build_settings_doc.py makes of the
settings registry today: a Setting changed without regenerating the page
fails here, so the page says what the code does (#15, section 3)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_settings_page_is_generated_from_the_registry_as_it_is(tmp_path: Path) -> None:
    fresh = tmp_path / "settings.md"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_settings_doc.py"), str(fresh)],
                   check=True, capture_output=True, timeout=60)
    assert fresh.read_text() == (ROOT / "docs" / "settings.md").read_text(), (
        "docs/settings.md is stale: run python scripts/build_settings_doc.py")
