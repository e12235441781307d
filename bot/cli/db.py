"""`ruche db status|migrate|backup|check`: the database, with the bot stopped or running."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from bot.cli.common import err, load, out, with_bot, with_database


async def _status(bot: Any) -> int:
    """Schema versions, database against code, without migrating anything."""
    from bot.storage import migration_status

    table = Table(title=f"Database {bot.db.url_for_display}")
    for col in ("namespace", "database", "code", "state"):
        table.add_column(col)
    for ns, have, want in await migration_status(bot.db, bot.migrations):
        state = "[green]up to date[/]" if have == want else "[yellow]pending[/]"
        table.add_row(ns, str(have), str(want), state)
    out().print(table)
    return 0


async def _migrate(bot: Any) -> int:
    """Setting the bot up already migrated; say so."""
    out().print("[green]✓[/] migrations applied")
    return 0


async def _check(bot: Any) -> int:
    """Every plugin's invariants; exit 1 listing what is broken."""
    problems = [p for group in await bot.hooks.collect("check_integrity", bot=bot)
                for p in (group if isinstance(group, list) else [group])]
    if problems:
        for p in problems:
            err().print(f"[red]✗[/] {escape(str(p))}")
        return 1
    out().print("[green]✓[/] all invariants hold")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """Dispatch `ruche db SUBCOMMAND`."""
    config = load(args)
    if args.db_command == "status":
        return with_database(config, _status)
    if args.db_command == "migrate":
        return with_bot(config, _migrate)
    if args.db_command == "backup":
        async def backup(bot: Any) -> int:
            await bot.db.backup(Path(args.path))
            out().print(f"[green]✓[/] backup written to {escape(args.path)}")
            return 0
        return with_bot(config, backup)
    if args.db_command == "check":
        return with_bot(config, _check)
    raise AssertionError(args.db_command)
