"""The pulse part of config.example.toml stays true to the code."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import timedelta
from pathlib import Path

from bot.durations import parse_duration
from plugins.pulse.config import PulseConfig, WebConfig

ROOT = Path(__file__).resolve().parents[3]


def _block(header: str) -> dict[str, object]:
    """The `[header]` block of the example file, parsed."""
    lines = (ROOT / "config.example.toml").read_text(encoding="utf-8").splitlines()
    start = lines.index(f"[{header}]")
    body = [lines[start]]
    for line in lines[start + 1:]:
        if not line.strip() or line.startswith("["):
            break
        body.append(line)
    return tomllib.loads("\n".join(body))


def test_example_lists_every_key_with_its_default() -> None:
    for header, schema in (("plugins.pulse", PulseConfig), ("web", WebConfig)):
        values = _block(header)
        for part in header.split("."):
            values = values[part]  # type: ignore[assignment]
        defaults = schema()
        for f in dataclasses.fields(schema):
            if f.name == "metrics_token":
                continue  # a secret: shown as a commented-out example
            value, default = values[f.name], getattr(defaults, f.name)
            if isinstance(default, timedelta):
                value = parse_duration(str(value))
            assert value == default, f"{header}.{f.name}"
