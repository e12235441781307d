"""`ruche plugins` and `ruche discord sync`: what is loaded, and pushing Discord's commands."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from rich.markup import escape
from rich.table import Table

from bot.cli.common import err, load, make_bot, out, with_bot


def cmd_plugins(args: argparse.Namespace) -> int:
    """A table of loaded plugins, their versions, sources and hooks."""
    config = load(args)

    async def show() -> int:
        bot = make_bot(config)
        await bot.load()
        table = Table(title="Loaded plugins")
        for col in ("plugin", "version", "source", "hooks"):
            table.add_column(col)
        for p in bot.plugins:
            impls = sorted(
                caller.name for caller in bot.pm.get_hookcallers(bot.pm.get_plugin(p.name)) or []
            )
            table.add_row(p.name, p.version, f"{p.source} ({p.module})", ", ".join(impls))
        out().print(table)
        return 0

    return asyncio.run(show())


def cmd_discord(args: argparse.Namespace) -> int:
    """`ruche discord sync`: the slash commands, pushed now by a bot that never connects."""
    async def sync(bot: Any) -> int:
        from bot.adapters.discord import sync_commands

        try:
            count = await sync_commands(bot)
        except RuntimeError as exc:
            err().print(f"[red]{escape(str(exc))}[/]")
            return 1
        except Exception as exc:  # login refused, Discord unreachable: one line, not a traceback
            err().print("[red]discord sync failed:[/] " + escape(
                f"{type(exc).__name__}: {exc}; check the [platforms.discord] token and the "
                "network, then run it again."))
            return 1
        out().print(f"[green]✓[/] {count} slash command(s) pushed to Discord")
        return 0

    return with_bot(load(args), sync)
