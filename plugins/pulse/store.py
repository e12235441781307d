"""SQL only: pulse's own tables (`pulse_events`, `pulse_digests`); never another plugin's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.api import Database, Row, Tx

DAY = 86400.0

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


async def daily(db: Database, community: str, kinds: Sequence[str], start: float,
                days: int) -> dict[tuple[str, int], int]:
    """(kind, day index from `start`) → records, for the activity picture (one GROUP BY)."""
    n = len(kinds)
    bucket = (f"CAST(FLOOR((at - $2) / {int(DAY)}) AS INTEGER)" if db.dialect == "postgresql"
              else f"CAST((at - $2) / {int(DAY)} AS INTEGER)")
    rows = await db.fetch(
        f"SELECT kind, {bucket} AS day, COUNT(*) AS n FROM pulse_events WHERE community = $1"
        f" AND at >= $2 AND at < $3 AND kind IN ({_marks(4, n)}) GROUP BY kind, day",
        community, start, start + days * DAY, *kinds)
    return {(str(r["kind"]), int(r["day"])): int(r["n"]) for r in rows}


async def stages(db: Database, community: str) -> list[tuple[str, int, str]]:
    """(kind, idea #N, detail) of every idea, status and funding record: the funnel's input."""
    rows = await db.fetch(
        "SELECT kind, number, detail FROM pulse_events WHERE community = $1"
        " AND kind IN ('idea', 'status', 'funding') AND number IS NOT NULL", community)
    return [(str(r["kind"]), int(r["number"]), str(r["detail"])) for r in rows]


async def pledges(db: Database, community: str,
                  numbers: Sequence[int]) -> list[tuple[int, float, int]]:
    """(idea #N, at, signed amount) of the pledges on these ideas' rounds, oldest first."""
    if not numbers:
        return []
    wanted = sorted(set(numbers))
    rows = await db.fetch(
        "SELECT number, at, kind, amount FROM pulse_events WHERE community = $1"
        f" AND kind IN ('pledge', 'unpledge') AND number IN ({_marks(2, len(wanted))})"
        " ORDER BY at, id", community, *wanted)
    return [(int(r["number"]), float(r["at"]),
             int(r["amount"] or 0) * (-1 if r["kind"] == "unpledge" else 1)) for r in rows]


async def member_flows(db: Database, community: str, member_id: int, since: float,
                       limit: int) -> list[tuple[int, int, int, int]]:
    """(giver, receiver, amount, tips) of the tips this member gave or received since `since`."""
    rows = await db.fetch(
        "SELECT actor, target, SUM(amount) AS total, COUNT(*) AS n FROM pulse_events"
        " WHERE community = $1 AND kind = 'tip' AND at >= $2 AND (actor = $3 OR target = $3)"
        " GROUP BY actor, target ORDER BY total DESC, n DESC, actor, target LIMIT $4",
        community, since, member_id, limit)
    return [(int(r["actor"]), int(r["target"]), int(r["total"]), int(r["n"])) for r in rows]


# -- personal digests (`!digest me`) -------------------------------------------------------------

async def subscribe(db: Database, community: str, member_id: int, period: str, at: float,
                    baseline: str) -> None:
    """Set (or, with "off", drop) a member's digest; `baseline` is what they have now."""
    async def op(tx: Tx) -> None:
        await tx.execute("DELETE FROM pulse_member_digests WHERE community = $1"
                         " AND member_id = $2", community, member_id)
        if period != "off":
            await tx.execute(
                "INSERT INTO pulse_member_digests (community, member_id, period, since,"
                " baseline) VALUES ($1, $2, $3, $4, $5)", community, member_id, period, at,
                baseline)

    await db.atomic(op)


async def subscription(db: Database, community: str, member_id: int) -> str | None:
    """The member's digest period, None when they have none."""
    value = await db.fetchval("SELECT period FROM pulse_member_digests WHERE community = $1"
                              " AND member_id = $2", community, member_id)
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One member's personal digest: its period, since when, what they had then."""

    community: str
    member_id: int
    period: str
    since: float
    baseline: str


async def subscribers(db: Database) -> list[Subscriber]:
    rows = await db.fetch("SELECT community, member_id, period, since, baseline"
                          " FROM pulse_member_digests ORDER BY community, member_id")
    return [Subscriber(str(r["community"]), int(r["member_id"]), str(r["period"]),
                       float(r["since"]), str(r["baseline"])) for r in rows]


async def member_period_done(db: Database, community: str, member_id: int, period: str) -> bool:
    return bool(await db.fetchval(
        "SELECT 1 FROM pulse_member_sent WHERE community = $1 AND member_id = $2"
        " AND period = $3", community, member_id, period))


async def last_fingerprint(db: Database, community: str, member_id: int,
                           since: float) -> str | None:
    """What the member had at their latest digest period (sent or skipped) after `since`."""
    value = await db.fetchval(
        "SELECT fingerprint FROM pulse_member_sent WHERE community = $1 AND member_id = $2"
        " AND at >= $3 ORDER BY at DESC LIMIT 1", community, member_id, since)
    return None if value is None else str(value)


async def claim_member_period(tx: Tx, community: str, member_id: int, period: str,
                              fingerprint: str, sent: bool, at: float) -> bool:
    """Mark a member's digest period done; False when it already was."""
    return await tx.execute(
        "INSERT INTO pulse_member_sent (community, member_id, period, fingerprint, sent, at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (community, member_id, period) DO NOTHING",
        community, member_id, period, fingerprint, sent, at) == 1
