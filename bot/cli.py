"""The `ruche` command line: run, check-config, init, db, export, plugins."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot import __version__
from bot.config import Config, ConfigErrors, load_config

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def _out() -> Console:
    return Console(highlight=False)


def _config(path: str | None) -> Config:
    chosen = path or os.environ.get("RUCHE_CONFIG")
    return load_config(Path(chosen) if chosen else None)


def _secret_values(raw: Any) -> Iterator[str]:
    """Resolve every `{env=…}`/`{file=…}` in the raw config so logs can redact them."""
    if isinstance(raw, dict):
        if set(raw) == {"env"} and isinstance(raw["env"], str):
            value = os.environ.get(raw["env"])
            if value:
                yield value
        elif set(raw) == {"file"} and isinstance(raw["file"], str):
            try:
                yield Path(raw["file"]).read_text().strip()
            except OSError:
                pass
        else:
            for v in raw.values():
                yield from _secret_values(v)
    elif isinstance(raw, list):
        for v in raw:
            yield from _secret_values(v)


def _prepare_storage(config: Config) -> None:
    url = config.storage.url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///"):].split("?")[0]).parent.mkdir(parents=True, exist_ok=True)


def _make_bot(config: Config) -> Any:
    from bot.app import Bot

    return Bot(config)


def _print_errors(errors: ConfigErrors) -> None:
    console = _err()
    for e in errors.errors:
        style = "yellow" if e.severity == "warning" else "red"
        console.print(f"[{style}]{e.severity}[/]: {escape(str(e))}", markup=True)


async def _run(config: Config) -> int:
    from bot.logs import setup_logging

    # The embedded default is a chat in the terminal: keep startup chatter out of it.
    level = config.logging.level if config.path is not None else "WARNING"
    setup_logging(level, config.logging.format, _secret_values(config.raw))
    _prepare_storage(config)
    bot = _make_bot(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, bot.request_stop)
        except (NotImplementedError, RuntimeError):
            pass
    await bot.run()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    config = _config(args.config)
    return asyncio.run(_run(config))


def cmd_check_config(args: argparse.Namespace) -> int:
    path = args.file or args.config or os.environ.get("RUCHE_CONFIG")
    console = _out()
    try:
        config = load_config(Path(path) if path else None)
        bot = _make_bot(config)
        asyncio.run(bot.load())
    except ConfigErrors as errors:
        _print_errors(errors)
        _err().print(f"[red]✗ {path or 'defaults'}: {len(errors.errors)} problem(s)[/]")
        return 1
    for warning in bot.config_warnings or config.warnings:
        _err().print(f"[yellow]warning[/]: {escape(str(warning))}", markup=True)
    console.print(f"[green]✓[/] {path or 'built-in defaults'} is valid "
                  f"({len(bot.plugins)} plugins).")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.path)
    if target.exists() and not args.force:
        _err().print(f"[red]{target} exists[/]; use --force to overwrite it.")
        return 1
    target.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    _out().print(f"[green]✓[/] wrote {target}; edit it, then: ruche run --config {target}")
    return 0


def _with_bot(config: Config, action: Callable[[Any], Coroutine[Any, Any, int]]) -> int:
    async def go() -> int:
        _prepare_storage(config)
        bot = _make_bot(config)
        await bot.setup()
        try:
            return await action(bot)
        finally:
            await bot.stop()

    return asyncio.run(go())


def cmd_db(args: argparse.Namespace) -> int:
    config = _config(args.config)
    console = _out()
    if args.db_command == "status":
        async def status(bot: Any) -> int:
            from bot.storage import migration_status

            table = Table(title=f"Database {bot.db.url_for_display}")
            for col in ("namespace", "database", "code", "state"):
                table.add_column(col)
            for ns, have, want in await migration_status(bot.db, bot.migrations):
                state = "[green]up to date[/]" if have == want else "[yellow]pending[/]"
                table.add_row(ns, str(have), str(want), state)
            console.print(table)
            return 0
        return _status_without_migrating(config, status)
    if args.db_command == "migrate":
        async def migrate(bot: Any) -> int:
            console.print("[green]✓[/] migrations applied")
            return 0
        return _with_bot(config, migrate)
    if args.db_command == "backup":
        async def backup(bot: Any) -> int:
            await bot.db.backup(Path(args.path))
            console.print(f"[green]✓[/] backup written to {args.path}")
            return 0
        return _with_bot(config, backup)
    if args.db_command == "check":
        async def check(bot: Any) -> int:
            problems = [p for group in await bot.hooks.collect("check_integrity", bot=bot)
                        for p in (group if isinstance(group, list) else [group])]
            if problems:
                for p in problems:
                    _err().print(f"[red]✗[/] {escape(str(p))}")
                return 1
            console.print("[green]✓[/] all invariants hold")
            return 0
        return _with_bot(config, check)
    raise AssertionError(args.db_command)


def _status_without_migrating(config: Config,
                              action: Callable[[Any], Coroutine[Any, Any, int]]) -> int:
    """`db status` must show pending migrations, so it opens the database without migrating."""
    async def go() -> int:
        from bot.schema import migrations as core_migrations
        from bot.storage import open_database

        _prepare_storage(config)
        bot = _make_bot(config)
        await bot.load()
        bot._db = await open_database(config.storage.url)
        bot.migrations = [core_migrations, *await bot.hooks.collect("register_migrations",
                                                                   bot=bot)]
        try:
            return await action(bot)
        finally:
            await bot.db.close()

    return asyncio.run(go())


def cmd_export(args: argparse.Namespace) -> int:
    config = _config(args.config)

    async def export(bot: Any) -> int:
        community = bot.communities.get(args.community)
        tables: dict[str, list[dict[str, Any]]] = {}
        for part in await bot.hooks.collect("export_data", bot=bot, community=community,
                                            fmt=args.format):
            tables.update(part)
        if args.format == "json":
            data = json.dumps(tables, indent=2, default=str, ensure_ascii=False)
        else:
            buf = io.StringIO()
            for name, rows in tables.items():
                buf.write(f"# {name}\n")
                if rows:
                    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
                    writer.writeheader()
                    writer.writerows(rows)
                buf.write("\n")
            data = buf.getvalue()
        if args.output:
            await asyncio.to_thread(Path(args.output).write_text, data, encoding="utf-8")
            _out().print(f"[green]✓[/] {len(tables)} table(s) written to {args.output}")
        else:
            sys.stdout.write(data)
        return 0

    return _with_bot(config, export)


def cmd_plugins(args: argparse.Namespace) -> int:
    config = _config(args.config)

    async def show() -> int:
        bot = _make_bot(config)
        await bot.load()
        table = Table(title="Loaded plugins")
        for col in ("plugin", "version", "source", "hooks"):
            table.add_column(col)
        for p in bot.plugins:
            impls = sorted(
                caller.name for caller in bot.pm.get_hookcallers(bot.pm.get_plugin(p.name)) or []
            )
            table.add_row(p.name, p.version, f"{p.source} ({p.module})", ", ".join(impls))
        _out().print(table)
        return 0

    return asyncio.run(show())


def cmd_discord(args: argparse.Namespace) -> int:
    config = _config(args.config)

    async def sync(bot: Any) -> int:
        from bot.adapters.discord_plugin import sync_commands

        try:
            count = await sync_commands(bot)
        except RuntimeError as exc:
            _err().print(f"[red]{escape(str(exc))}[/]")
            return 1
        _out().print(f"[green]✓[/] {count} slash command(s) pushed to Discord")
        return 0

    return _with_bot(config, sync)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ruche", description="Ruche: ideas, votes, community tokens and rewards in chat.")
    parser.add_argument("--version", action="version", version=f"ruche {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help: str,
            config: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        if config:
            p.add_argument("--config", "-c", help="TOML config file (default: built-in "
                           "console + SQLite; or $RUCHE_CONFIG)")
        p.set_defaults(func=func)
        return p

    add("run", cmd_run, "run the bot (console + ./data/ruche.sqlite3 without a config)")
    p = add("check-config", cmd_check_config, "validate a config file; exit 1 on any error")
    p.add_argument("file", nargs="?")
    p = add("init", cmd_init, "write a commented config file from config.example.toml",
            config=False)
    p.add_argument("path", nargs="?", default="ruche.toml")
    p.add_argument("--force", action="store_true")
    p = add("db", cmd_db, "database: status, migrate, backup PATH, check")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("status", help="schema versions, database vs code")
    dbsub.add_parser("migrate", help="apply pending migrations")
    b = dbsub.add_parser("backup", help="online backup to a file")
    b.add_argument("path")
    dbsub.add_parser("check", help="verify ledger and data invariants; exit 1 if broken")
    p = add("export", cmd_export, "export a community's data")
    p.add_argument("--community", required=True)
    p.add_argument("--format", choices=("csv", "json"), default="json")
    p.add_argument("--output", "-o")
    add("plugins", cmd_plugins, "list loaded plugins, their versions and hooks")
    p = add("discord", cmd_discord, "Discord: sync the slash commands now")
    p.add_subparsers(dest="discord_command", required=True).add_parser(
        "sync", help="push the command tree as slash commands (guild or global, per config)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot.errors import StartupError
    from bot.files import restrict_umask

    args = build_parser().parse_args(argv)
    restrict_umask()  # the ledger and members' identities are never world-readable
    try:
        result: int = args.func(args)
        return result
    except ConfigErrors as errors:
        _print_errors(errors)
        return 1
    except KeyboardInterrupt:
        return 0
    except StartupError as exc:
        _err().print(f"[red]ruche: {escape(str(exc))}[/]")
        return exc.exit_code
    except Exception as exc:
        from bot.storage import DatabaseTooNew

        if isinstance(exc, DatabaseTooNew):
            _err().print(f"[red]{escape(str(exc))}[/] — upgrade Ruche before using this database.")
            return 2
        raise
