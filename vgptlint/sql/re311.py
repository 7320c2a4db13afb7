"""``re`` with Python 3.11's possessive quantifiers (``*+``) and atomic groups (``(?>...)``).

The splitter's and the extractor's patterns use them so that a matched token is never backtracked
into (tests/sql/test_split_scanner.py). Python 3.10's ``re`` has neither and rejects the patterns
("multiple repeat"); there the ``regex`` package, which reads both the same way, stands in.
"""
from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import re
else:  # Python 3.10
    import regex as re

__all__ = ["re"]
