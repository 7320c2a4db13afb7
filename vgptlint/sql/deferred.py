"""sqlglot, imported when SQL is first looked at rather than when vgptlint starts.

Importing sqlglot costs about 0.1 s of CPU: most of a rerun's start-up when every result comes from the
result cache and no SQL is parsed. So modules reach sqlglot through the stand-ins here (``exp``,
``errors``, ``dialect``): the first name looked up on one imports its module and copies the module's names in,
after which a lookup costs what a module attribute's does.

Loading a policy needs two facts from sqlglot (which names are expression classes, for ``sql_ast``'s
options; which dialects are built in, for ``dialect:``). :func:`sqlglot_facts` keeps them in vgptlint's
cache (:mod:`vgptlint.cache`) per sqlglot version, so a policy is still checked at load time, with the
same verdicts, without importing sqlglot.
"""
from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import version
from typing import TYPE_CHECKING, NamedTuple

from vgptlint.cache import cached
from vgptlint.deferred import DeferredModule


if TYPE_CHECKING:
    from sqlglot import errors, exp
    from sqlglot.dialects import dialect
else:
    exp = DeferredModule("sqlglot.expressions")
    errors = DeferredModule("sqlglot.errors")
    dialect = DeferredModule("sqlglot.dialects.dialect")


class SqlglotFacts(NamedTuple):
    expression_names: frozenset[str]  # the names in sqlglot.expressions that are Expression classes
    dialect_names: frozenset[str]  # the built-in dialects' names (``tsql``), each valid alone


@cache
def sqlglot_facts() -> SqlglotFacts:
    """What loading a policy asks of sqlglot, from the cache when this sqlglot version has been seen."""
    return cached("sqlglot-facts", b"", _read_facts, version("sqlglot"))


def _read_facts() -> SqlglotFacts:
    names = frozenset(name for name, value in vars(importlib.import_module("sqlglot.expressions")).items()
                      if isinstance(value, type) and issubclass(value, exp.Expression))
    dialects = importlib.import_module("sqlglot.dialects")
    return SqlglotFacts(names, frozenset(dialects.DIALECT_MODULE_NAMES))


def is_expression_name(name: str) -> bool:
    """Whether ``sqlglot.expressions`` has an Expression class of this name."""
    return name in sqlglot_facts().expression_names


def check_dialect(name: str) -> None:
    """Raise ValueError, as ``Dialect.get_or_raise`` does, when ``name`` is no sqlglot dialect. A
    built-in name alone is known without importing sqlglot; anything else asks sqlglot itself."""
    if not (isinstance(name, str) and name in sqlglot_facts().dialect_names):
        dialect.Dialect.get_or_raise(name)
