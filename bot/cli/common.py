"""What every `ruche` subcommand shares: consoles, the config, and a bot that never runs."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Config, ConfigErrors, load_config

if TYPE_CHECKING:
    from rich.console import Console

#: A subcommand's body, given a bot that was set up (or only loaded) but never started.
BotAction = Callable[[Any], Coroutine[Any, Any, int]]


def err() -> Console:
    """Problems and progress go to stderr, so stdout stays clean for pipes (`export`)."""
    from rich.console import Console  # rich costs ~30 ms: `ruche run` prints without it

    return Console(stderr=True, highlight=False, soft_wrap=True)  # whole lines, for grep


def out() -> Console:
    """Results go to stdout."""
    from rich.console import Console

    return Console(highlight=False)


def config_path(args: argparse.Namespace) -> str | None:
    """`--config` wherever it was given on the line, else $RUCHE_CONFIG, else None (defaults)."""
    chosen: str | None = getattr(args, "config", None) or os.environ.get("RUCHE_CONFIG")
    return chosen


def load(args: argparse.Namespace) -> Config:
    """The config the command line names; raises ConfigErrors (main prints them)."""
    chosen = config_path(args)
    return load_config(Path(chosen) if chosen else None)


def make_bot(config: Config) -> Any:
    """A Bot, imported late so `ruche --help` stays fast."""
    from bot.app import Bot

    return Bot(config)


def print_errors(errors: ConfigErrors) -> None:
    """One line per problem, coloured by severity."""
    from rich.markup import escape

    console = err()
    for e in errors.errors:
        style = "yellow" if e.severity == "warning" else "red"
        console.print(f"[{style}]{e.severity}[/]: {escape(str(e))}")


def with_bot(config: Config, action: BotAction) -> int:
    """Run `action` on a set-up (migrated) bot whose adapters never start, then close it."""
    async def go() -> int:
        bot = make_bot(config)
        await bot.setup()
        try:
            return await action(bot)
        finally:
            await bot.stop()  # stops only adapters that started: none here

    return asyncio.run(go())


def with_database(config: Config, action: BotAction) -> int:
    """Run `action` on a loaded bot with the database open but not migrated (read-only views)."""
    async def go() -> int:
        from bot.schema import migrations as core_migrations
        from bot.storage.connect import connect

        bot = make_bot(config)
        await bot.load()
        bot._db = await connect(config.storage.url, config.storage.connect_timeout)
        bot.migrations = [core_migrations,
                          *await bot.hooks.collect("register_migrations", bot=bot)]
        try:
            return await action(bot)
        finally:
            await bot.db.close()

    return asyncio.run(go())
