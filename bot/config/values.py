"""Config value types shared by every section: errors with key paths, and secrets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# --------------------------------------------------------------------------- errors and secrets


@dataclass
class ConfigError:
    """One problem in the configuration, located by its dotted TOML key path."""

    path: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        """`plugins.tips.max_tip: expected an integer, got string 'abc'` (warnings say so)."""
        prefix = f"{self.path}: " if self.path else ""
        kind = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{kind}{self.message}"


class ConfigErrors(Exception):
    """Raised with every problem at once, so operators fix their file in one pass."""

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        """Keep the problems as data for `ruche check-config` and the message for tracebacks."""
        self.errors: list[ConfigError] = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        """One line per problem."""
        return "\n".join(str(error) for error in self.errors)


@dataclass(frozen=True, repr=False)
class Secret:
    """A resolved credential that never shows up in reprs, logs or tracebacks."""

    _value: str

    def reveal(self) -> str:
        """The credential itself; call it only where it is handed to a client library."""
        return self._value

    def __repr__(self) -> str:
        """Masked, so printing a config object leaks nothing."""
        return "Secret('***')"

    __str__ = __repr__


# --------------------------------------------------------------------------- core sections

