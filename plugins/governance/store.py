"""SQL for the governance_ tables, and nothing else: the rules live in service.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from bot.api import RoomRef, Row
from plugins.governance.models import Proposal


class Querier(Protocol):
    """`bot.db` or an op's `tx`: both run these statements."""

    async def execute(self, sql: str, *args: Any) -> int: ...
    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...
    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...


_COLUMNS = ("id, community, number, kind, target, value, reason, proposer_id, status, quorum, "
            "majority, room_platform, room_id, room_name, room_guild, "
            "poll_id, poll_number, prior, outcome, created_at, closes_at, closed_at")
#: Statuses that still hold the target (no second proposal on it meanwhile).
UNDECIDED = ("opening", "open", "paying")


def _proposal(row: Row) -> Proposal:
    return Proposal(
        id=int(row["id"]), community=str(row["community"]), number=int(row["number"]),
        kind=str(row["kind"]), target=str(row["target"]), value=str(row["value"]),
        reason=str(row["reason"]),
        proposer_id=None if row["proposer_id"] is None else int(row["proposer_id"]),
        status=str(row["status"]), quorum=int(row["quorum"]), majority=str(row["majority"]),
        room=RoomRef(row["room_platform"], row["room_id"], row["room_name"], row["room_guild"])
        if row["room_platform"] else None,
        poll_id=None if row["poll_id"] is None else int(row["poll_id"]),
        poll_number=None if row["poll_number"] is None else int(row["poll_number"]),
        prior=str(row["prior"]), outcome=str(row["outcome"]),
        created_at=float(row["created_at"]),
        closes_at=None if row["closes_at"] is None else float(row["closes_at"]),
        closed_at=None if row["closed_at"] is None else float(row["closed_at"]))


async def insert(q: Querier, p: Proposal) -> Proposal:
    """Store a proposal as `opening` under the next number; IntegrityError if its target is
    taken by an undecided proposal (or, rarely, the number by a concurrent insert)."""
    room = p.room
    number = int(await q.fetchval(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM governance_proposals WHERE community = $1",
        p.community))
    pid = await q.fetchval(
        "INSERT INTO governance_proposals (community, number, kind, target, open_target, value,"
        " reason, proposer_id, status, quorum, majority, room_platform, room_id, room_name,"
        " room_guild, prior, created_at) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, 'opening', $8,"
        " $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        p.community, number, p.kind, p.target, p.value, p.reason, p.proposer_id, p.quorum,
        p.majority, room.platform if room else "", room.id if room else "",
        room.name if room else "", room.guild if room else "", p.prior, p.created_at)
    found = await get(q, int(pid))
    assert found is not None
    return found


async def get(q: Querier, proposal_id: int) -> Proposal | None:
    row = await q.fetchrow(f"SELECT {_COLUMNS} FROM governance_proposals WHERE id = $1",
                           proposal_id)
    return None if row is None else _proposal(row)


async def by_number(q: Querier, community: str, number: int) -> Proposal | None:
    row = await q.fetchrow(f"SELECT {_COLUMNS} FROM governance_proposals WHERE community = $1"
                           " AND number = $2", community, number)
    return None if row is None else _proposal(row)


async def by_poll(q: Querier, poll_id: int) -> Proposal | None:
    row = await q.fetchrow(f"SELECT {_COLUMNS} FROM governance_proposals WHERE poll_id = $1",
                           poll_id)
    return None if row is None else _proposal(row)


async def delete_opening(q: Querier, proposal_id: int) -> None:
    """The poll could not be opened: the proposal never existed."""
    await q.execute("DELETE FROM governance_proposals WHERE id = $1 AND status = 'opening'",
                    proposal_id)


async def set_open(q: Querier, proposal_id: int, poll_id: int, poll_number: int,
                   closes_at: float | None) -> bool:
    return await q.execute(
        "UPDATE governance_proposals SET status = 'open', poll_id = $2, poll_number = $3,"
        " closes_at = $4 WHERE id = $1 AND status = 'opening'", proposal_id, poll_id,
        poll_number, closes_at) == 1


async def transition(q: Querier, proposal_id: int, old: str, new: str, outcome: str,
                     now: float) -> bool:
    """`old` → `new`, only if still `old`: the one writer of a proposal's fate wins."""
    final = new not in UNDECIDED
    return await q.execute(
        "UPDATE governance_proposals SET status = $3, outcome = $4,"
        " open_target = CASE WHEN $5 THEN NULL ELSE open_target END,"
        " closed_at = CASE WHEN $5 THEN $6 ELSE closed_at END"
        " WHERE id = $1 AND status = $2", proposal_id, old, new, outcome, final, now) == 1


async def undecided_on(q: Querier, community: str, target: str) -> Proposal | None:
    row = await q.fetchrow(f"SELECT {_COLUMNS} FROM governance_proposals WHERE community = $1"
                           " AND open_target = $2", community, target)
    return None if row is None else _proposal(row)


async def last_closed_on(q: Querier, community: str, target: str) -> float | None:
    value = await q.fetchval(
        "SELECT MAX(closed_at) FROM governance_proposals WHERE community = $1 AND target = $2"
        " AND status <> 'cancelled'", community, target)
    return None if value is None else float(value)


async def spent_since(q: Querier, community: str, since: float,
                      statuses: Sequence[str]) -> int:
    """Tokens of spend proposals in these statuses made since `since`."""
    marks = ", ".join(f"${i + 3}" for i in range(len(statuses)))
    rows = await q.fetch(
        "SELECT value FROM governance_proposals WHERE community = $1 AND kind = 'spend'"
        f" AND created_at >= $2 AND status IN ({marks})", community, since, *statuses)
    return sum(int(r["value"]) for r in rows)


async def listing(q: Querier, community: str, limit: int) -> list[Proposal]:
    """Undecided proposals first, then the latest decided ones."""
    rows = await q.fetch(
        f"SELECT {_COLUMNS} FROM governance_proposals WHERE community = $1"
        " AND status <> 'opening' ORDER BY CASE WHEN open_target IS NULL THEN 1 ELSE 0 END,"
        " number DESC LIMIT $2", community, limit)
    return [_proposal(r) for r in rows]


async def in_status(q: Querier, status: str) -> list[Proposal]:
    rows = await q.fetch(f"SELECT {_COLUMNS} FROM governance_proposals WHERE status = $1"
                         " ORDER BY id", status)
    return [_proposal(r) for r in rows]


async def overdue(q: Querier, before: float) -> list[Proposal]:
    """Open proposals whose poll should have closed before `before`."""
    rows = await q.fetch(f"SELECT {_COLUMNS} FROM governance_proposals WHERE status = 'open'"
                         " AND closes_at < $1 ORDER BY id", before)
    return [_proposal(r) for r in rows]


async def seen(q: Querier, community: str, member_id: int, now: float) -> None:
    await q.execute(
        "INSERT INTO governance_activity (community, member_id, last_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (community, member_id) DO UPDATE SET last_at = excluded.last_at",
        community, member_id, now)


async def active_members(q: Querier, community: str, since: float) -> int:
    return int(await q.fetchval(
        "SELECT COUNT(*) FROM governance_activity WHERE community = $1 AND last_at >= $2",
        community, since) or 0)


async def relink(q: Querier, community: str, old: int, new: int) -> None:
    """Linked accounts are one member: keep the latest activity under the new id."""
    await q.execute(
        "UPDATE governance_activity SET last_at = (SELECT MAX(last_at) FROM governance_activity"
        " WHERE community = $1 AND member_id IN ($2, $3)) WHERE community = $1"
        " AND member_id = $3", community, old, new)
    await q.execute("UPDATE governance_activity SET member_id = $3 WHERE community = $1"
                    " AND member_id = $2 AND NOT EXISTS (SELECT 1 FROM governance_activity"
                    " WHERE community = $1 AND member_id = $3)", community, old, new)
    await q.execute("DELETE FROM governance_activity WHERE community = $1 AND member_id = $2",
                    community, old)
    await q.execute("UPDATE governance_proposals SET proposer_id = $3 WHERE community = $1"
                    " AND proposer_id = $2", community, old, new)
    await q.execute("UPDATE governance_proposals SET target = $3 WHERE community = $1"
                    " AND target = $2", community, f"member:{old}", f"member:{new}")


async def export_rows(q: Querier, community: str) -> list[dict[str, Any]]:
    rows = await q.fetch(f"SELECT {_COLUMNS} FROM governance_proposals WHERE community = $1"
                         " ORDER BY number", community)
    names = [name.strip() for name in _COLUMNS.split(",")]
    return [{name: row[name] for name in names} for row in rows]
