"""Import every built-in function, fixer and accumulator module so they register, then third-party
ones from the ``vgptlint.functions`` entry-point group. Reporters wait to be named
(:data:`vgptlint.reports.base.BUILTIN_FORMATS`): a run writes one format."""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from importlib.metadata import entry_points

# Every module in these packages registers what it defines with the package's decorator.
PACKAGES = ("vgptlint.functions", "vgptlint.fixes", "vgptlint.aggregates")
ENTRY_POINT_GROUP = "vgptlint.functions"


@cache
def load_builtins() -> None:
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            importlib.import_module(f"{package_name}.{module.name}")
    for entry in installed_entry_points(ENTRY_POINT_GROUP):
        entry.load()


def installed_entry_points(group: str):
    """The installed packages' entry points in ``group``, from one scan per process: each scan reads
    every installed package's metadata (~4 ms), and functions and reporters both ask."""
    return _every_entry_point().select(group=group)


@cache
def _every_entry_point():
    return entry_points()
