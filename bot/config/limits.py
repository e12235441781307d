"""What chat may change: operator-only keys, and ceilings (`[limits]`) on keys that move money.

A plugin marks a config field `limited(default)` when a larger value mints, moves or melts
tokens or costs load (a moderator could otherwise raise `max_grant` to 10^12 and mint that),
or `operator_only(default)` when only the operator may change it, in the file (intervals,
auto-mint, recovery). For a limited key, `!config` accepts a value up to the ceiling: the
operator's `[limits]` entry for it, else the file's own value — chat may lower it, never raise
it past what the operator wrote.

```toml
[limits.plugins.tips]
max_grant = 5000        # moderators may set plugins.tips.max_grant up to 5000
```
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, TypeVar, cast

T = TypeVar("T")

#: The dataclass field metadata key holding a field's chat rule.
CHAT_RULE = "ruche_chat"
ChatRule = Literal["limited", "operator"]


def limited(default: T) -> T:
    """A field chat may lower but not raise past the operator's ceiling."""
    return dataclasses.field(default=default, metadata={CHAT_RULE: "limited"})


def operator_only(default: T | None = None, *, factory: Callable[[], T] | None = None) -> T:
    """A field only the config file may change; `!config` refuses it and says who can.

    `factory` makes a mutable default (a list, a table) afresh for each instance."""
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={CHAT_RULE: "operator"})
    return cast(T, dataclasses.field(default=default, metadata={CHAT_RULE: "operator"}))


def chat_rule(schema: type[Any], name: str) -> ChatRule | None:
    """The rule a dataclass field carries, or None (chat may set it freely)."""
    for spec in dataclasses.fields(schema):
        if spec.name == name:
            rule = spec.metadata.get(CHAT_RULE)
            return cast(ChatRule, rule) if rule in ("limited", "operator") else None
    return None


def flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """`{"plugins": {"tips": {"max_grant": 5}}}` → `("plugins.tips.max_grant", 5)`."""
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            yield from flatten(value, path)
        else:
            yield path, value


def above(value: Any, ceiling: Any) -> bool:
    """Whether a value exceeds a ceiling; None stands for "no limit" on either side."""
    if ceiling is None:
        return False
    if value is None:
        return True
    try:
        return bool(value > ceiling)
    except TypeError:
        return False
