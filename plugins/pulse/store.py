"""SQL only: pulse's own tables (`pulse_events`, `pulse_digests`); never another plugin's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.api import Database, Row, Tx

_INSERT = (
    "INSERT INTO pulse_events (community, kind, key, at, actor, target, amount, number, title,"
    " detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    " ON CONFLICT (community, kind, key) DO NOTHING")
_COLUMNS = "community, kind, key, at, actor, target, amount, number, title, detail"


@dataclass(frozen=True, slots=True)
class Record:
    """One public fact; `actor`/`target` are member ids only where chat shows the member."""

    community: str
    kind: str  # idea, status, poll_opened, poll_closed, tip, reward, ledger, funding
    key: str  # unique per (community, kind): a redelivered event is a no-op
    at: float
    actor: int | None = None
    target: int | None = None
    amount: int | None = None
    number: int | None = None  # the idea's or poll's #N
    title: str = ""
    detail: str = ""  # a status, an option, a reason: kind-specific


def _record(row: Row) -> Record:
    def opt(name: str) -> int | None:
        return None if row[name] is None else int(row[name])

    return Record(community=row["community"], kind=row["kind"], key=row["key"],
                  at=float(row["at"]), actor=opt("actor"), target=opt("target"),
                  amount=opt("amount"), number=opt("number"), title=row["title"],
                  detail=row["detail"])


#: A record as the columns of its row, in `_INSERT`'s order (what the recorder buffers).
RecordRow = tuple[str, str, str, float, int | None, int | None, int | None, int | None, str,
                  str]


def row_of(r: Record) -> RecordRow:
    """A record's columns (plain tuples: `dataclasses.astuple` deep-copies and costs more)."""
    return (r.community, r.kind, r.key, r.at, r.actor, r.target, r.amount, r.number, r.title,
            r.detail)


async def insert(db: Database, records: Sequence[Record]) -> None:
    """Many records in one transaction."""
    await insert_rows(db, [row_of(r) for r in records])


async def insert_rows(db: Database, rows: Sequence[RecordRow]) -> None:
    """Many records' rows in one transaction (the recorder's batch)."""

    async def op(tx: Tx) -> None:
        await tx.executemany(_INSERT, rows)

    await db.atomic(op)


def _marks(start: int, count: int) -> str:
    return ", ".join(f"${start + i}" for i in range(count))


async def recent(db: Database, community: str, kinds: Sequence[str], limit: int) -> list[Record]:
    """The latest records of these kinds, newest first."""
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM pulse_events WHERE community = $1 AND kind IN"
        f" ({_marks(2, len(kinds))}) ORDER BY at DESC, id DESC LIMIT ${len(kinds) + 2}",
        community, *kinds, limit)
    return [_record(r) for r in rows]


async def between(db: Database, community: str, kinds: Sequence[str], start: float,
                  end: float) -> list[Record]:
    """Every record of these kinds in [start, end), oldest first (a digest's period)."""
    n = len(kinds)
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM pulse_events WHERE community = $1 AND kind IN"
        f" ({_marks(2, n)}) AND at >= ${n + 2} AND at < ${n + 3} ORDER BY at, id",
        community, *kinds, start, end)
    return [_record(r) for r in rows]


async def totals(db: Database, community: str, kinds: Sequence[str], start: float,
                 end: float) -> tuple[int, int]:
    """(sum of amounts, number of records) of these kinds in [start, end)."""
    n = len(kinds)
    row = await db.fetchrow(
        "SELECT COALESCE(SUM(amount), 0) AS total, COUNT(*) AS n FROM pulse_events"
        f" WHERE community = $1 AND at >= $2 AND at < $3 AND kind IN ({_marks(4, n)})",
        community, start, end, *kinds)
    return (int(row["total"]), int(row["n"])) if row is not None else (0, 0)


async def flows(db: Database, community: str, since: float,
                limit: int) -> list[tuple[int, int, int, int]]:
    """(giver, receiver, amount, tips) pairs of tips since `since`, largest first."""
    rows = await db.fetch(
        "SELECT actor, target, SUM(amount) AS total, COUNT(*) AS n FROM pulse_events"
        " WHERE community = $1 AND kind = 'tip' AND at >= $2"
        " GROUP BY actor, target ORDER BY total DESC, n DESC, actor, target LIMIT $3",
        community, since, limit)
    return [(int(r["actor"]), int(r["target"]), int(r["total"]), int(r["n"])) for r in rows]


async def received(db: Database, community: str, since: float,
                   limit: int) -> list[tuple[int, int]]:
    """(member, amount) most thanked since `since` (tips and rewards), largest first."""
    rows = await db.fetch(
        "SELECT target, SUM(amount) AS total FROM pulse_events WHERE community = $1"
        " AND kind IN ('tip', 'reward') AND at >= $2 AND target IS NOT NULL"
        " GROUP BY target ORDER BY total DESC, target LIMIT $3", community, since, limit)
    return [(int(r["target"]), int(r["total"])) for r in rows]


async def communities(db: Database) -> list[str]:
    """Every community pulse has a record of."""
    rows = await db.fetch("SELECT DISTINCT community FROM pulse_events ORDER BY community")
    return [str(r["community"]) for r in rows]


async def prune(db: Database, before: float) -> int:
    """Forget records older than the retention (digests and views read less than that)."""
    return await db.execute("DELETE FROM pulse_events WHERE at < $1", before)


async def claim_period(db: Database | Tx, community: str, period: str, posted: bool,
                       at: float) -> bool:
    """Mark a digest period done; False when it already was (restart, second process)."""
    return await db.execute(
        "INSERT INTO pulse_digests (community, period, posted, at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (community, period) DO NOTHING", community, period, posted, at) == 1


async def periods_done(db: Database, periods: Sequence[str]) -> set[tuple[str, str]]:
    """(community, period) of the digests already done among `periods`, in every community:
    one query per sweep, not one per community."""
    wanted = sorted(set(periods))
    if not wanted:
        return set()
    marks = ", ".join(f"${i + 1}" for i in range(len(wanted)))
    rows = await db.fetch(
        f"SELECT community, period FROM pulse_digests WHERE period IN ({marks})", *wanted)
    return {(str(r["community"]), str(r["period"])) for r in rows}


async def ping(db: Database) -> bool:
    """The health check's database round trip."""
    return bool(await db.fetchval("SELECT 1") == 1)


async def idea_numbers(db: Database, community: str, subjects: Sequence[str]) -> dict[str, int]:
    """`idea:<id>` → #N, from the ideas pulse saw submitted (rewards carry only the subject)."""
    if not subjects:
        return {}
    wanted = sorted(set(subjects))
    rows = await db.fetch(
        f"SELECT key, number FROM pulse_events WHERE community = $1 AND kind = 'idea'"
        f" AND key IN ({_marks(2, len(wanted))})", community, *wanted)
    return {str(r["key"]): int(r["number"]) for r in rows if r["number"] is not None}
