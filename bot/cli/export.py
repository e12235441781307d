"""`ruche export`: one community's data as one JSON document or one CSV file per table."""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

from rich.markup import escape

from bot.cli.common import err, load, out, with_bot
from bot.cli.communities import community_rows

Tables = dict[str, list[dict[str, Any]]]
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _cell(value: Any) -> str:
    """A CSV cell: empty for None, JSON for nested values, lower-case booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def table_csv(rows: list[dict[str, Any]]) -> str:
    """One table with a header row (every key seen, in first-seen order); "" when empty."""
    if not rows:
        return ""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
    return buf.getvalue()


def _file_name(table: str) -> str:
    """`<table>.csv`, whatever a plugin named its table."""
    return f"{_UNSAFE.sub('_', table) or 'table'}.csv"


def write_csv(tables: Tables, output: Path) -> str:
    """Write `output/<table>.csv` (folder 0700) or a zip of them; returns where it went."""
    from bot.files import private_dir, write_private

    if output.suffix.lower() == ".zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, rows in tables.items():
                archive.writestr(_file_name(name), table_csv(rows))
        private_dir(output.parent)
        write_private(output, buf.getvalue())
        return str(output)
    private_dir(output)
    for name, rows in tables.items():
        write_private(output / _file_name(name), table_csv(rows))
    return f"{output}/"


async def _collect(bot: Any, community_id: str, fmt: str) -> Tables:
    """Every plugin's `export_data` tables for the community."""
    community = bot.communities.get(community_id)
    tables: Tables = {}
    for part in await bot.hooks.collect("export_data", bot=bot, community=community, fmt=fmt):
        tables.update(part)
    return tables


def _refuse(message: str) -> int:
    """A usage problem: one line saying what to do, exit 2."""
    err().print(f"[red]ruche export:[/] {message}")
    return 2


def cmd_export(args: argparse.Namespace) -> int:
    """Check the community and the destination, then write the tables."""
    output = Path(args.output) if args.output else None
    if args.format == "csv" and output is None:
        return _refuse("CSV is one file per table, so it cannot go to stdout: add "
                       "--output DIR (a folder of TABLE.csv) or --output FILE.zip.")
    if args.format == "csv" and output is not None and output.suffix.lower() != ".zip" \
            and output.exists() and not output.is_dir():
        return _refuse(f"{escape(str(output))} is a file: give a folder or a name ending "
                       "in .zip.")

    async def export(bot: Any) -> int:
        known = [row.id for row in await community_rows(bot)]
        if args.community not in known:
            close = difflib.get_close_matches(args.community, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            return _refuse(escape(f"no community {args.community!r}; known: "
                                  f"{', '.join(known) or 'none yet'} (see `ruche communities`)."
                                  f"{hint}"))
        tables = await _collect(bot, args.community, args.format)
        if args.format == "csv":
            assert output is not None
            where = write_csv(tables, output)
        elif output is not None:
            from bot.files import write_private

            write_private(output, _json(tables))
            where = str(output)
        else:
            sys.stdout.write(_json(tables))
            return 0
        out().print(f"[green]✓[/] {len(tables)} table(s) written to {escape(where)}")
        return 0

    return with_bot(load(args), export)


def _json(tables: Tables) -> str:
    """The whole export as one JSON document."""
    return json.dumps(tables, indent=2, default=str, ensure_ascii=False) + "\n"
