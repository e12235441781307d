"""The `ruche` argument parser: global options accepted before or after any subcommand."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from bot import __version__

Command = Callable[[argparse.Namespace], int]
CONFIG_HELP = "TOML config file (default: $RUCHE_CONFIG, else built-in console + SQLite)"


def lazy(module: str, name: str) -> Command:
    """A subcommand imported when it runs: `ruche run` never loads the table and export code."""
    def command(args: argparse.Namespace) -> int:
        func: Command = getattr(importlib.import_module(f"bot.cli.{module}"), name)
        return func(args)

    command.__name__ = command.__qualname__ = name
    return command


cmd_run = lazy("run", "cmd_run")
cmd_check_config = lazy("configfile", "cmd_check_config")
cmd_init = lazy("configfile", "cmd_init")
cmd_reload = lazy("reload", "cmd_reload")
cmd_db = lazy("db", "cmd_db")
cmd_communities = lazy("communities", "cmd_communities")
cmd_export = lazy("export", "cmd_export")
cmd_plugins = lazy("plugins", "cmd_plugins")
cmd_discord = lazy("plugins", "cmd_discord")


def _global_options(*, top: bool) -> argparse.ArgumentParser:
    """`--config/-c` for every level of the command line.

    Below the top level the default is SUPPRESS: a subparser copies its defaults over the
    namespace, which would otherwise erase a `--config` given earlier on the line.
    """
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--config", "-c", metavar="FILE", help=CONFIG_HELP,
                         default=None if top else argparse.SUPPRESS)
    return options


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand; `ruche -c X db status`, `ruche db -c X status`, `… status -c X` agree."""
    parser = argparse.ArgumentParser(
        prog="ruche", parents=[_global_options(top=True)],
        description="Ruche: ideas, votes, community tokens and rewards in chat.")
    parser.add_argument("--version", action="version", version=f"ruche {__version__}")
    shared = [_global_options(top=False)]
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Command, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, parents=shared)
        p.set_defaults(func=func)
        return p

    def nested(p: argparse.ArgumentParser, dest: str) -> Callable[..., argparse.ArgumentParser]:
        group = p.add_subparsers(dest=dest, required=True, metavar="SUBCOMMAND")

        def add_nested(name: str, help: str) -> argparse.ArgumentParser:
            return group.add_parser(name, help=help, description=help, parents=shared)
        return add_nested

    add("run", cmd_run, "run the bot (console + ./data/ruche.sqlite3 without a config)")
    p = add("check-config", cmd_check_config,
            "report every problem of a config file at once; exit 1 on any error")
    p.add_argument("file", nargs="?", help="the file to check (default: --config)")
    add("reload", cmd_reload, "check the config file, then make the running bot re-read it "
        "(SIGHUP); restart-only changes are logged, not applied")
    p = add("init", cmd_init, "write a commented config file from config.example.toml")
    p.add_argument("path", nargs="?", default="ruche.toml")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    db = nested(add("db", cmd_db, "database: status, migrate, backup PATH, check"), "db_command")
    db("status", "schema versions, database vs code (migrates nothing)")
    db("migrate", "apply pending migrations")
    db("backup", "online backup to a file").add_argument("path")
    db("check", "verify ledger and data invariants; exit 1 if broken")
    p = add("communities", cmd_communities,
            "list communities: id, name, platforms, rooms, member count")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p = add("export", cmd_export, "export a community's data (JSON document or CSV per table)")
    p.add_argument("--community", required=True, metavar="ID", help="see `ruche communities`")
    p.add_argument("--format", choices=("csv", "json"), default="json")
    p.add_argument("--output", "-o", metavar="PATH",
                   help="JSON: a file (default stdout); CSV: a folder or FILE.zip (required)")
    add("plugins", cmd_plugins, "list loaded plugins, their versions and hooks")
    discord = nested(add("discord", cmd_discord, "Discord: sync the slash commands now"),
                     "discord_command")
    discord("sync", "push the command tree as slash commands (guild or global, per config)")
    return parser
