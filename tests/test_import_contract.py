"""The import contract: arrows point down the pipeline, no circles, no imports hidden in functions.

Read from the source (``ast``), not by importing, so it sees every module whatever the extras
installed. ``if TYPE_CHECKING:`` imports are annotations only and do not count as arrows.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vgptlint"

# Top to bottom, the pipeline of docs/architecture.md: a module may import from its own layer or any
# layer below it, never from one above. A module belongs to the layer of its longest listed prefix.
LAYERS = (
    ("entry", ("vgptlint.__main__", "vgptlint.launch")),
    ("commands", ("vgptlint.commands", "vgptlint.server")),
    ("api", ("vgptlint.api", "vgptlint.testing")),
    ("run", ("vgptlint.run", "vgptlint.incremental")),  # incremental: the result cache around the run core
    ("review", ("vgptlint.review", "vgptlint.llamafactory.run_report")),
    ("policy", ("vgptlint.policy", "vgptlint.facets")),
    ("reports and fixers", ("vgptlint.reports", "vgptlint.fixes")),
    ("findings", ("vgptlint.findings",)),
    ("accumulators", ("vgptlint.aggregates",)),
    ("functions", ("vgptlint.functions", "vgptlint.refusal", "vgptlint.user_regex")),
    ("domain libraries", ("vgptlint.llamafactory", "vgptlint.sql")),
    ("records and selectors", ("vgptlint.inputs", "vgptlint.select")),
    ("foundations", ("vgptlint", "vgptlint.model", "vgptlint.errors", "vgptlint.globs", "vgptlint.cache",
                     "vgptlint.resources", "vgptlint.builtins", "vgptlint.functions.base", "vgptlint.policy.yamlio")),
)
# Imported where first needed, never at the top of a module: optional extras (a plain install lacks
# them), two heavy dependencies only some policies use (numpy: near-duplicates; jsonschema: the
# json_schema function), the language server (needs the lsp extra), and the CLI inside the console
# script's interrupt handling (vgptlint.launch: Ctrl-C while it loads is quiet). vgptlint.api imports what
# only some runs use where they use it (--engine dask, --fix/--diff, --train-config): a check's start-up
# (most of a cached rerun) pays for every module it imports. pathspec (file globs) and tabulate (--format
# table) serve only runs that match a glob or print a table, and are imported by modules every run imports.
DEFERRED = ("dask", "distributed", "fsspec", "pyarrow", "pygls", "lsprotocol", "sqlalchemy", "tokenizers", "numpy",
            "jsonschema", "vgptlint.server.app", "vgptlint.commands.cli", "vgptlint.run.distributed",
            "vgptlint.run.fix_session", "vgptlint.llamafactory.run", "vgptlint.llamafactory.run_report", "pathspec",
            "tabulate")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    best = max((prefix for _, prefixes in LAYERS for prefix in prefixes
                if module == prefix or module.startswith(prefix + ".")), key=len)
    return next(number for number, (_, prefixes) in enumerate(LAYERS) if best in prefixes)


class Imports(ast.NodeVisitor):
    """One module's imports: at module level (arrows) and inside functions (deferred)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module, self.is_package = module, is_package
        self.arrows: list[tuple[int, str, tuple[str, ...]]] = []  # (line, module, names)
        self.deferred: list[tuple[int, str]] = []
        self.depth = 0

    def visit_FunctionDef(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" not in ast.unparse(node.test):
            self.generic_visit(node)
        else:
            for child in node.orelse:
                self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node.lineno, alias.name, ())

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.module.split(".")[: len(self.module.split(".")) - node.level + (1 if self.is_package else 0)]
            base = ".".join([*parts, base] if base else parts)
        names = tuple(alias.name for alias in node.names)
        submodules = [f"{base}.{name}" for name in names if f"{base}.{name}" in MODULES]
        if submodules:
            for name in submodules:
                self._add(node.lineno, name, ())
        else:
            self._add(node.lineno, base, names)

    def _add(self, line: int, target: str, names: tuple[str, ...]) -> None:
        if self.depth:
            self.deferred.append((line, target))
        elif target.split(".")[0] == "vgptlint":
            while target not in MODULES:
                target = target.rpartition(".")[0]
            self.arrows.append((line, target, names))


def imports_of(module: str) -> Imports:
    path = MODULES[module]
    found = Imports(module, path.name == "__init__.py")
    found.visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


ALL = {module: imports_of(module) for module in MODULES}


def test_arrows_point_down_the_layers():
    upward = [f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {module} ({LAYERS[layer_of(module)][0]}) imports "
              f"{target} ({LAYERS[layer_of(target)][0]})"
              for module, found in ALL.items() for line, target, _ in found.arrows
              if layer_of(target) < layer_of(module)]
    assert upward == []


def test_no_import_circles():
    graph = {module: {target for _, target, _ in found.arrows if target != module} for module, found in ALL.items()}
    circles = [component for component in strongly_connected(graph) if len(component) > 1]
    assert circles == []


def test_no_imports_inside_functions_but_deferred_ones():
    hidden = [f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {target}"
              for module, found in ALL.items() for line, target in found.deferred
              if not any(target == name or target.startswith(name + ".") for name in DEFERRED)]
    assert hidden == []


def test_no_module_imports_another_ones_private_names():
    private = [f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {name} from {target}"
               for module, found in ALL.items() for line, target, names in found.arrows
               for name in names if name.startswith("_") and not name.startswith("__") and target != module]
    assert private == []


def test_every_module_has_a_layer():
    assert all(isinstance(layer_of(module), int) for module in MODULES)


# What a check with a text report never runs, so never imports: each would only lengthen its start-up,
# most of a rerun whose results all come from the cache. sqlglot waits for SQL to parse, each report
# format's module for its format to be asked for, the refusal classifier for a verdict, statistics for
# a bound's interval, multiprocessing for a pool of workers (small inputs are linted in one process), and
# jsonpath-ng for a path that is more than keys and indexes (the shipped packs have none).
NOT_IMPORTED_BY_A_TEXT_CHECK = ("sqlglot", "tabulate", "pathspec", "dask", "jsonpath_ng", "vgptlint.run.distributed",
                                "vgptlint.run.fix_session", "vgptlint.llamafactory.run", "vgptlint.llamafactory.run_report",
                                "vgptlint.reports.github", "vgptlint.reports.html", "vgptlint.reports.json",
                                "vgptlint.reports.sarif", "vgptlint.reports.table", "vgptlint.refusal", "statistics",
                                "multiprocessing")
CHECK_AND_LIST_MODULES = """
import runpy, sys
sys.argv = ["vgptlint", "check", "--output", "report.txt", "sft.jsonl"]
try:
    runpy.run_module("vgptlint", run_name="__main__")
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""


def test_a_text_check_of_prose_imports_only_what_it_runs(tmp_path):
    """In a process of its own; the second run (the first reads into the cache what loading a policy asks of sqlglot)."""
    (tmp_path / "sft.jsonl").write_text('{"instruction": "Greet the team", "input": "", "output": "Hello, team!"}\n')
    environment = {**os.environ, "VGPTLINT_CACHE_DIR": str(tmp_path / "cache")}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", CHECK_AND_LIST_MODULES], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, check=True)
    imported = done.stdout.split()
    assert "vgptlint.run.engine" in imported  # it did check
    assert [m for m in imported if any(m == name or m.startswith(name + ".") for name in NOT_IMPORTED_BY_A_TEXT_CHECK)] == []


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (the graph is small, but recursion limits are not ours to set)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components
