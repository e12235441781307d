"""The payload shapes discord.py itself declares (`discord/types/*.py`), to check the fake against.

Those modules import each other only under TYPE_CHECKING and cannot be imported at run time, so
their TypedDicts are read from the source: each class's own fields plus its bases' fields.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import discord

TYPES = Path(discord.__file__).parent / "types"


@dataclass(frozen=True)
class Shape:
    """A TypedDict: every key it allows, and those it requires."""

    keys: frozenset[str]
    required: frozenset[str]


@cache
def _classes() -> dict[str, dict[str, tuple[ast.ClassDef, str]]]:
    """module stem → class name → (its AST, module stem)."""
    found: dict[str, dict[str, tuple[ast.ClassDef, str]]] = {}
    for path in sorted(TYPES.glob("*.py")):
        module = found.setdefault(path.stem, {})
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                module[node.name] = (node, path.stem)
    return found


def _find(module: str, name: str) -> tuple[ast.ClassDef, str]:
    classes = _classes()
    if name in classes.get(module, {}):
        return classes[module][name]
    for other in classes.values():
        if name in other:
            return other[name]
    raise KeyError(f"no TypedDict {name} in discord/types")


def shape(module: str, name: str) -> Shape:
    """The keys of `discord.types.<module>.<name>`, bases included."""
    node, where = _find(module, name)
    total = not any(k.arg == "total" and isinstance(k.value, ast.Constant)
                    and k.value.value is False for k in node.keywords)
    keys: set[str] = set()
    required: set[str] = set()
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            keys.add(statement.target.id)
            if total and not ast.unparse(statement.annotation).startswith("NotRequired"):
                required.add(statement.target.id)
    for base in node.bases:
        base_name = base.id if isinstance(base, ast.Name) else ""
        if base_name and base_name not in ("TypedDict", "Generic"):
            inherited = shape(where, base_name)
            keys |= inherited.keys
            required |= inherited.required
    return Shape(frozenset(keys), frozenset(required))
