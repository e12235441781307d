"""Read a plugin's part of the shared docs, so plugin tests keep docs/ true to the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def hooks_section(title: str) -> str:
    """The `## {title}` section of docs/hooks.md (up to the next `## ` heading)."""
    text = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}.*?(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        raise LookupError(f"docs/hooks.md has no '## {title}' section")
    return match.group(0)


def example_section(name: str) -> str:
    """The `[plugins.{name}]` block of config.example.toml, without trailing blank lines."""
    lines = (ROOT / "config.example.toml").read_text(encoding="utf-8").splitlines()
    header = f"[plugins.{name}]"
    start = next(i for i, line in enumerate(lines) if line.strip() == header)
    end = start + 1
    while end < len(lines) and lines[end].strip() and not lines[end].startswith("["):
        end += 1
    return "\n".join(lines[start:end]) + "\n"
