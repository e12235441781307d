"""`ruche communities`: every community the config names or the database holds, at a glance."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.markup import escape
from rich.table import Table

from bot.cli.common import load, out, with_database


@dataclass
class CommunityRow:
    """One line of the listing: what an operator needs to pick a `--community` id."""

    id: str
    name: str
    platforms: list[str] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    members: int = 0


async def _has_core_tables(bot: Any) -> bool:
    """False on a database no Ruche has migrated yet (it holds no community)."""
    from bot.storage import migration_status

    status = await migration_status(bot.db, bot.migrations[:1])
    return bool(status) and status[0][1] >= 1


async def community_rows(bot: Any) -> list[CommunityRow]:
    """Configured communities and those with members in the database, sorted by id."""
    config = bot.config
    rows: dict[str, CommunityRow] = {}

    def row(cid: str) -> CommunityRow:
        if cid not in rows:
            section = config.communities.get(cid)
            rows[cid] = CommunityRow(cid, section.name if section and section.name else cid)
        return rows[cid]

    for cid in config.communities:
        row(cid)
    if await _has_core_tables(bot):
        for r in await bot.db.fetch(
            "SELECT community, COUNT(*) AS n FROM core_members "
            "WHERE merged_into IS NULL AND is_bot = 0 GROUP BY community"
        ):
            row(str(r["community"])).members = int(r["n"])
        for r in await bot.db.fetch("SELECT DISTINCT community FROM core_members"):
            row(str(r["community"]))
        for r in await bot.db.fetch("SELECT DISTINCT community, platform FROM core_identities"):
            row(str(r["community"])).platforms.append(str(r["platform"]))
    for cid, found in rows.items():
        found.rooms = _rooms(config, cid)
        platforms = {*found.platforms, *(spec.split(":", 1)[0] for spec in found.rooms)}
        found.platforms = sorted(platforms - {"matrix-space"} | (
            {"matrix"} if "matrix-space" in platforms else set()))
    return [rows[cid] for cid in sorted(rows)]


def _rooms(config: Any, cid: str) -> list[str]:
    """Configured rooms; without `[communities.ID]`, the id names the guild or room itself."""
    section = config.communities.get(cid)
    if section is not None:
        return list(section.rooms)
    if cid == "console":
        return [f"console:{config.console.room}"]
    return [cid] if ":" in cid else []


def cmd_communities(args: argparse.Namespace) -> int:
    """A table (or JSON with --json) of id, name, platforms, rooms and member count."""
    async def show(bot: Any) -> int:
        found = await community_rows(bot)
        if args.json:
            sys.stdout.write(json.dumps([asdict(r) for r in found], indent=2,
                                        ensure_ascii=False) + "\n")
            return 0
        if not found:
            out().print(escape("No community yet: configure [communities.ID] or let members speak."))
            return 0
        table = Table(title="Communities")
        for col in ("id", "name", "platforms", "rooms", "members"):
            table.add_column(col, justify="right" if col == "members" else "left")
        for r in found:
            table.add_row(escape(r.id), escape(r.name), ", ".join(r.platforms),
                          escape("\n".join(r.rooms)), str(r.members))
        out().print(table)
        return 0

    return with_database(load(args), show)
