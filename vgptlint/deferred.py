"""Stand-ins made into the real thing at their first use rather than when vgptlint starts: a module
(:class:`DeferredModule`; sqlglot in :mod:`vgptlint.sql.deferred`, the refusal classifier) and a
module's regular expression (:class:`DeferredPattern`). Most runs never use some of them, and
making them up front lengthens every start-up, most of a rerun served from the result cache."""
from __future__ import annotations

import importlib
import re


class DeferredModule:
    """A module imported on the first name looked up on it; from then on its names are this object's own."""

    def __init__(self, module_name: str) -> None:
        self.deferred_module_name = module_name

    def __getattr__(self, name: str):
        if name.startswith("__"):  # introspection (doctest, copy, inspect) must not import the module
            raise AttributeError(name)
        module = importlib.import_module(self.deferred_module_name)
        vars(self).update({key: value for key, value in vars(module).items() if not key.startswith("__")})
        return getattr(module, name)

    def __repr__(self) -> str:
        return f"<deferred module {self.deferred_module_name}>"


class DeferredPattern:
    """``re.compile(pattern, flags)``, compiled on the first name looked up on it (``search``,
    ``pattern``, ...); from then on the compiled pattern's names are this object's own. For a module's
    own expressions, which its tests compile (tests/test_deferred_patterns.py); never a user's, whose
    errors must be reported when the policy loads.

    >>> WORD = DeferredPattern(r"\\w+", re.I)
    >>> WORD.search("-- ab").group(), WORD.pattern
    ('ab', '\\\\w+')
    """

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.deferred_pattern = pattern, flags

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiling it now if it is not yet)."""
        compiled = re.compile(*self.deferred_pattern)
        vars(self).update({key: getattr(compiled, key) for key in dir(compiled) if not key.startswith("__")})
        return compiled

    def __repr__(self) -> str:
        return f"<deferred pattern {self.deferred_pattern[0]!r}>"
