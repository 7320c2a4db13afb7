"""Reading YAML with positions: every error we report points at the node the user wrote."""
from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml import __version__ as ruamel_version
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from vgptlint.cache import cached
from vgptlint.errors import PolicyError, Problem


def load_yaml(path: Path, display: str) -> object:
    """Round-trip load (keeps line/column on every mapping and sequence); cached by content."""
    try:
        content = path.read_bytes()
        text = content.decode("utf-8-sig")
    except FileNotFoundError:
        raise PolicyError([Problem(display, 1, 1, "file-not-found", f'"{display}" does not exist')]) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem(display, 1, 1, "invalid-utf8", f"not valid UTF-8: {exc.reason}")]) from None
    except OSError as exc:
        raise PolicyError([Problem(display, 1, 1, "unreadable", exc.strerror or str(exc))]) from None
    return cached("yaml", content, lambda: _parse(text, display), ruamel_version)


def _parse(text: str, display: str) -> object:
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        raise PolicyError([Problem(display, line, col, "invalid-yaml", message or "invalid YAML")]) from None
    except YAMLError as exc:
        raise PolicyError([Problem(display, 1, 1, "invalid-yaml", str(exc).splitlines()[0])]) from None


def key_position(node: object, key: object) -> tuple[int, int]:
    """1-based position of ``key`` in a mapping (or item ``key`` of a sequence)."""
    return _position(node, key, "key")


def value_position(node: object, key: object) -> tuple[int, int]:
    """1-based position of the value under ``key`` in a mapping (or item ``key`` of a sequence)."""
    return _position(node, key, "value")


def _position(node: object, key: object, part: str) -> tuple[int, int]:
    try:
        if isinstance(node, CommentedMap):
            line, col = node.lc.key(key) if part == "key" else node.lc.value(key)
            return line + 1, col + 1
        if isinstance(node, CommentedSeq):
            line, col = node.lc.item(key)
            return line + 1, col + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return node_position(node)


def node_position(node: object) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return lc.line + 1, lc.col + 1
    return 1, 1


def plain(node: object) -> object:
    """ruamel's commented containers → plain dicts/lists (keeps scalars as they are)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if hasattr(node, "__float__") and type(node).__name__ == "ScalarFloat":
        return float(node)
    if type(node).__name__ in ("ScalarBoolean",):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    return node
