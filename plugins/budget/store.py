"""SQL for the budget_ tables, and nothing else: the rules live in service.py and closing.py."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.api import RoomRef, Row
from plugins.budget.allocation import Placed


class Querier(Protocol):
    """`bot.db` or an op's `tx`: both run these statements."""

    async def execute(self, sql: str, *args: Any) -> int: ...
    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...
    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class BudgetIdea:
    """An idea as a budget was opened over it, with its cost and destination wallet."""

    idea_id: int
    number: int
    title: str
    cost: int
    author_id: int
    anonymous: bool = False


async def insert_round(q: Querier, *, community: str, total: int, method: str, points: int,
                       opened_by: int, now: float, deadline: float,
                       room: RoomRef | None) -> int | None:
    """A new open budget; None if the community already has one in progress (unique index)."""
    value = await q.fetchval(
        "INSERT INTO budget_rounds (community, total, method, points, opened_by, opened_at, "
        "deadline, room_platform, room_id, room_name, room_guild) VALUES ($1, $2, $3, $4, $5, "
        "$6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING id",
        community, total, method, points, opened_by, now, deadline,
        room.platform if room else "", room.id if room else "", room.name if room else "",
        room.guild if room else "")
    return None if value is None else int(value)


async def insert_ideas(q: Querier, round_id: int, ideas: Sequence[BudgetIdea]) -> None:
    for idea in ideas:
        await q.execute(
            "INSERT INTO budget_ideas (round_id, idea_id, number, title, cost, author_id, "
            "anonymous) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            round_id, idea.idea_id, idea.number, idea.title, idea.cost, idea.author_id,
            int(idea.anonymous))


async def round_row(q: Querier, round_id: int) -> Row | None:
    return await q.fetchrow("SELECT * FROM budget_rounds WHERE id = $1", round_id)


async def active_round_id(q: Querier, community: str) -> int | None:
    value = await q.fetchval("SELECT id FROM budget_rounds WHERE community = $1 "
                             "AND state IN ('open', 'closing')", community)
    return None if value is None else int(value)


async def latest_round_id(q: Querier, community: str) -> int | None:
    value = await q.fetchval("SELECT MAX(id) FROM budget_rounds WHERE community = $1",
                             community)
    return None if value is None else int(value)


async def ideas(q: Querier, round_id: int) -> list[Row]:
    return await q.fetch("SELECT * FROM budget_ideas WHERE round_id = $1 ORDER BY number",
                         round_id)


async def support_totals(q: Querier, round_id: int) -> dict[int, int]:
    """idea id → support: supporters (approval, 1 point each) or points given."""
    rows = await q.fetch("SELECT idea_id, SUM(points) AS total FROM budget_support "
                         "WHERE round_id = $1 GROUP BY idea_id", round_id)
    return {int(r["idea_id"]): int(r["total"]) for r in rows}


async def supporters(q: Querier, round_id: int) -> int:
    value = await q.fetchval("SELECT COUNT(DISTINCT member_id) FROM budget_support "
                             "WHERE round_id = $1", round_id)
    return int(value or 0)


async def member_support(q: Querier, round_id: int, member_id: int) -> list[Row]:
    return await q.fetch(
        "SELECT i.number, s.points FROM budget_support s JOIN budget_ideas i ON "
        "i.round_id = s.round_id AND i.idea_id = s.idea_id WHERE s.round_id = $1 "
        "AND s.member_id = $2 ORDER BY i.number", round_id, member_id)


async def guard_open(q: Querier, round_id: int, now: float) -> bool:
    """Inside an op: the budget is open and its deadline not passed (row locked on PostgreSQL
    by the UPDATE, so a close waits for this op)."""
    return await q.execute("UPDATE budget_rounds SET state = state WHERE id = $1 "
                           "AND state = 'open' AND deadline > $2", round_id, now) == 1


async def replace_support(q: Querier, round_id: int, member_id: int,
                          points: dict[int, int]) -> None:
    """The member's whole support becomes `points` (idea id → points); {} withdraws it."""
    await q.execute("DELETE FROM budget_support WHERE round_id = $1 AND member_id = $2",
                    round_id, member_id)
    for idea_id, value in sorted(points.items()):
        await q.execute("INSERT INTO budget_support (round_id, member_id, idea_id, points) "
                        "VALUES ($1, $2, $3, $4)", round_id, member_id, idea_id, value)


async def claim(q: Querier, round_id: int, kind: str, now: float, *, due_only: bool) -> bool:
    """open → closing, once: whoever changes the row closes the budget."""
    due = " AND deadline <= $3" if due_only else ""
    return await q.execute(
        "UPDATE budget_rounds SET state = 'closing', close_kind = $2, closed_at = $3 "
        f"WHERE id = $1 AND state = 'open'{due}", round_id, kind, now) == 1


async def record_allocation(q: Querier, round_id: int, available: int,
                            placed: Sequence[Placed]) -> None:
    """Freeze the ranking and what is funded, in the op that claimed the close."""
    spent = 0
    for p in placed:
        c = p.candidate
        spent += c.cost if p.funded else 0
        await q.execute(
            "UPDATE budget_ideas SET support = $3, rank = $4, funded = $5, reason = $6 "
            "WHERE round_id = $1 AND idea_id = $2",
            round_id, c.idea_id, c.support, p.rank, int(p.funded), p.reason)
    await q.execute("UPDATE budget_rounds SET available = $2, spent = $3 WHERE id = $1",
                    round_id, available, spent)


async def unpaid(q: Querier, round_id: int) -> list[Row]:
    return await q.fetch("SELECT * FROM budget_ideas WHERE round_id = $1 AND funded = 1 "
                         "AND paid = 0 ORDER BY rank", round_id)


async def mark_paid(q: Querier, round_id: int, idea_id: int,
                    funding_round: int | None = None) -> None:
    """Paid: to the idea's funding round `funding_round`, or (None) to its author."""
    await q.execute("UPDATE budget_ideas SET paid = 1, paid_round = $3 WHERE round_id = $1 "
                    "AND idea_id = $2", round_id, idea_id, funding_round)


async def finish(q: Querier, round_id: int) -> bool:
    """closing → closed once every funded idea is paid; True for the caller that did it."""
    return await q.execute(
        "UPDATE budget_rounds SET state = 'closed' WHERE id = $1 AND state = 'closing' AND "
        "NOT EXISTS (SELECT 1 FROM budget_ideas WHERE round_id = $1 AND funded = 1 "
        "AND paid = 0)", round_id) == 1


async def due_rounds(q: Querier, now: float) -> list[Row]:
    return await q.fetch("SELECT id, community FROM budget_rounds WHERE state = 'open' "
                         "AND deadline <= $1 ORDER BY id", now)


async def closing_rounds(q: Querier) -> list[Row]:
    return await q.fetch("SELECT id, community FROM budget_rounds WHERE state = 'closing' "
                         "ORDER BY id")


async def relink(q: Querier, community: str, old: int, new: int) -> None:
    """A linked account's support follows it; where both supported a budget, the new one's
    support stays and the old one's goes (one member, one ballot)."""
    rounds = await q.fetch("SELECT id FROM budget_rounds WHERE community = $1", community)
    for r in rounds:
        rid = int(r["id"])
        if await q.fetchval("SELECT COUNT(*) FROM budget_support WHERE round_id = $1 "
                            "AND member_id = $2", rid, new):
            await q.execute("DELETE FROM budget_support WHERE round_id = $1 "
                            "AND member_id = $2", rid, old)
        else:
            await q.execute("UPDATE budget_support SET member_id = $3 WHERE round_id = $1 "
                            "AND member_id = $2", rid, old, new)


async def export_rows(q: Querier, community: str) -> dict[str, list[dict[str, Any]]]:
    """The community's budgets, their ideas and support, as plain dicts for `ruche export`."""
    rounds = await q.fetch(
        "SELECT id, total, available, spent, method, points, state, close_kind, opened_by, "
        "opened_at, deadline, closed_at FROM budget_rounds WHERE community = $1 ORDER BY id",
        community)
    ideas = await q.fetch(
        "SELECT i.round_id, i.idea_id, i.number, i.title, i.cost, i.support, i.rank, "
        "i.funded, i.reason, i.paid FROM budget_ideas i JOIN budget_rounds r ON "
        "r.id = i.round_id WHERE r.community = $1 ORDER BY i.round_id, i.number", community)
    support = await q.fetch(
        "SELECT s.round_id, s.member_id, s.idea_id, s.points FROM budget_support s JOIN "
        "budget_rounds r ON r.id = s.round_id WHERE r.community = $1 "
        "ORDER BY s.round_id, s.member_id, s.idea_id", community)
    return {"budget_rounds": [_plain(r, ROUND_KEYS) for r in rounds],
            "budget_ideas": [_plain(r, IDEA_KEYS) for r in ideas],
            "budget_support": [_plain(r, SUPPORT_KEYS) for r in support]}


ROUND_KEYS = ("id", "total", "available", "spent", "method", "points", "state", "close_kind",
              "opened_by", "opened_at", "deadline", "closed_at")
IDEA_KEYS = ("round_id", "idea_id", "number", "title", "cost", "support", "rank", "funded",
             "reason", "paid")
SUPPORT_KEYS = ("round_id", "member_id", "idea_id", "points")


def _plain(row: Row, keys: Sequence[str]) -> dict[str, Any]:
    return {k: row[k] for k in keys}


def room_of(row: Row) -> RoomRef | None:
    if not row["room_platform"]:
        return None
    return RoomRef(row["room_platform"], row["room_id"], row["room_name"], row["room_guild"])


def skip(rows: Sequence[Row], communities: Collection[str]) -> list[int]:
    return [int(r["id"]) for r in rows if r["community"] not in communities]
