"""A stand-in for a module that is imported when a name is first looked up on it, not when vgptlint
starts: for modules a run may never need (sqlglot, in :mod:`vgptlint.sql.deferred`; the refusal
classifier), whose import would lengthen every start-up, most of a rerun served from the result cache."""
from __future__ import annotations

import importlib


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
