"""`ruche check-config` and `ruche init`: the config file before the bot ever runs."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rich.markup import escape

from bot.cli.common import config_path, err, make_bot, out, print_errors
from bot.config import ConfigError, ConfigErrors, load_config

_PACKAGE = Path(__file__).resolve().parent.parent
# The wheel ships config.example.toml inside the package (setup.py copies the root file there);
# a source checkout reads the root file itself, the one source of both.
_PACKAGED_EXAMPLE = _PACKAGE / "config.example.toml"
EXAMPLE = (_PACKAGED_EXAMPLE if _PACKAGED_EXAMPLE.is_file()
           else _PACKAGE.parent / "config.example.toml")


def _problems(path: str | None) -> tuple[list[ConfigError], int]:
    """Every problem of the file in one pass (core, platforms, plugins) and the plugin count."""
    try:
        config = load_config(Path(path) if path else None, lenient=True)
    except ConfigErrors as unreadable:  # not readable or not TOML: nothing more to check
        return unreadable.errors, 0
    bot = make_bot(config)
    try:
        asyncio.run(bot.load())
    except ConfigErrors as errors:
        return [*errors.errors, *bot.config_warnings], len(bot.plugins)
    return list(bot.config_warnings), len(bot.plugins)


def cmd_check_config(args: argparse.Namespace) -> int:
    """Report every error and warning with its key path; exit 1 if any is an error."""
    path = args.file or config_path(args)
    shown = path or "built-in defaults"
    problems, plugins = _problems(path)
    errors = [p for p in problems if p.severity == "error"]
    warnings = len(problems) - len(errors)
    print_errors(ConfigErrors([*errors, *(p for p in problems if p.severity != "error")]))
    also = f", {warnings} warning(s)" if warnings else ""
    if errors:
        err().print(f"[red]✗ {escape(shown)}: {len(errors)} error(s){also}[/]; fix them and "
                    "run check-config again.")
        return 1
    out().print(f"[green]✓[/] {escape(shown)} is valid ({plugins} plugins{also}).")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Write the commented example config, owner-only (it will hold secret references)."""
    from bot.files import write_private

    target = Path(args.path)
    if target.exists() and not args.force:
        err().print(f"[red]{escape(str(target))} exists[/]; use --force to overwrite it.")
        return 1
    write_private(target, EXAMPLE.read_text(encoding="utf-8"))
    out().print(f"[green]✓[/] wrote {escape(str(target))}; edit it, then: "
                f"ruche check-config {escape(str(target))}")
    return 0
