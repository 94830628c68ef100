"""Fixtures of the TLS tests: the session's test CA (tests/tls/pki.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tls.pki import have_openssl, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not have_openssl():
        pytest.skip("TLS tests need the openssl CLI to make their test CA (apt-get install openssl)")
    return make_pki(tmp_path_factory.mktemp("pki"))
