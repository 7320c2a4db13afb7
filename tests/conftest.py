"""Test-session settings shared by every test."""
from __future__ import annotations

import os
import tempfile


def pytest_configure(config) -> None:
    # Keep the parse cache (vgptlint/cache.py) out of the user's home; CLI subprocesses inherit it.
    os.environ["VGPTLINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="vgptlint-test-cache-")
