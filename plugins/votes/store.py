"""SQL for the votes_ tables, and nothing else: the rules live in service.py and closing.py."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from bot.api import MessageRef, RoomRef, Row
from plugins.votes.models import Poll

POLL_COLUMNS = (
    "id, community, number, question, options, method, status, subject, creator_id, "
    "created_at, closes_at, closed_at, anonymous, hidden, quorum, max_choices, score_max, "
    "credits, currency, room_platform, room_id, room_name, room_guild, msg_platform, msg_room, "
    "msg_id"
)


class Querier(Protocol):
    """`bot.db` or an op's `tx`: both run these statements."""

    async def execute(self, sql: str, *args: Any) -> int: ...
    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...
    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...


# -- polls ----------------------------------------------------------------------------------


def poll_from_row(row: Row) -> Poll:
    """A Poll from a row selected with POLL_COLUMNS."""
    room = RoomRef(row["room_platform"], row["room_id"], row["room_name"], row["room_guild"]) \
        if row["room_platform"] else None
    message = MessageRef(row["msg_platform"], row["msg_room"], row["msg_id"]) \
        if row["msg_id"] is not None else None
    return Poll(
        id=int(row["id"]), community=row["community"], number=int(row["number"]),
        question=row["question"], options=tuple(json.loads(row["options"])),
        method=row["method"], status=row["status"], subject=row["subject"],
        creator_id=None if row["creator_id"] is None else int(row["creator_id"]),
        closes_at=row["closes_at"], anonymous=bool(row["anonymous"]),
        hidden=bool(row["hidden"]), quorum=int(row["quorum"]),
        max_choices=None if row["max_choices"] is None else int(row["max_choices"]),
        room=room, message=message, created_at=float(row["created_at"]),
        closed_at=row["closed_at"], currency=row["currency"], credits=int(row["credits"]),
        score_max=int(row["score_max"]),
    )


async def insert_poll(tx: Querier, poll: Poll, secret: str | None) -> tuple[int, int]:
    """Store a new poll with the community's next number; returns (id, number)."""
    number = int(await tx.fetchval(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM votes_polls WHERE community = $1",
        poll.community))
    room = poll.room or RoomRef("", "")
    poll_id = await tx.fetchval(
        "INSERT INTO votes_polls (community, number, question, options, method, subject, "
        "creator_id, created_at, closes_at, anonymous, hidden, quorum, max_choices, score_max, "
        "credits, currency, room_platform, room_id, room_name, room_guild, secret) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
        "$20, $21) RETURNING id",
        poll.community, number, poll.question, json.dumps(list(poll.options)), poll.method,
        poll.subject, poll.creator_id, poll.created_at, poll.closes_at, int(poll.anonymous),
        int(poll.hidden), poll.quorum, poll.max_choices, poll.score_max, poll.credits,
        poll.currency, room.platform, room.id, room.name, room.guild, secret,
    )
    return int(poll_id), number


async def set_message(q: Querier, poll_id: int, ref: MessageRef) -> None:
    await q.execute("UPDATE votes_polls SET msg_platform = $2, msg_room = $3, msg_id = $4 "
                    "WHERE id = $1", poll_id, ref.platform, ref.room_id, ref.id)


async def get_poll(q: Querier, poll_id: int) -> Poll | None:
    row = await q.fetchrow(f"SELECT {POLL_COLUMNS} FROM votes_polls WHERE id = $1", poll_id)
    return poll_from_row(row) if row is not None else None


async def find_poll(q: Querier, community: str, number: int) -> Poll | None:
    row = await q.fetchrow(f"SELECT {POLL_COLUMNS} FROM votes_polls "
                           "WHERE community = $1 AND number = $2", community, number)
    return poll_from_row(row) if row is not None else None


async def poll_by_message(q: Querier, ref: MessageRef) -> Poll | None:
    row = await q.fetchrow(f"SELECT {POLL_COLUMNS} FROM votes_polls WHERE msg_id = $1 "
                           "AND msg_room = $2 AND msg_platform = $3", ref.id, ref.room_id,
                           ref.platform)
    return poll_from_row(row) if row is not None else None


async def list_polls(q: Querier, community: str, statuses: Sequence[str], limit: int,
                     offset: int) -> tuple[list[Poll], int]:
    """A page of polls, newest first, and how many there are in all."""
    marks = ", ".join(f"${i + 2}" for i in range(len(statuses)))
    total = await q.fetchval(f"SELECT COUNT(*) FROM votes_polls WHERE community = $1 "
                             f"AND status IN ({marks})", community, *statuses)
    n = len(statuses) + 2
    rows = await q.fetch(f"SELECT {POLL_COLUMNS} FROM votes_polls WHERE community = $1 "
                         f"AND status IN ({marks}) ORDER BY number DESC LIMIT ${n} "
                         f"OFFSET ${n + 1}", community, *statuses, limit, offset)
    return [poll_from_row(r) for r in rows], int(total)


async def open_polls(q: Querier) -> list[Poll]:
    rows = await q.fetch(f"SELECT {POLL_COLUMNS} FROM votes_polls WHERE status = 'open' "
                         "ORDER BY id")
    return [poll_from_row(r) for r in rows]


async def revision(q: Querier, poll_id: int) -> tuple[int, str] | None:
    """(revision, status): enough for the live tally to know whether to re-render."""
    row = await q.fetchrow("SELECT revision, status FROM votes_polls WHERE id = $1", poll_id)
    return (int(row["revision"]), row["status"]) if row is not None else None


async def set_shown_revision(q: Querier, poll_id: int, rev: int) -> None:
    await q.execute("UPDATE votes_polls SET shown_revision = $2 WHERE id = $1 "
                    "AND shown_revision < $2", poll_id, rev)


async def stale_messages(q: Querier) -> list[int]:
    """Open polls whose message shows an older tally (edits lost to a restart or an outage)."""
    rows = await q.fetch("SELECT id FROM votes_polls WHERE status = 'open' AND msg_id IS NOT "
                         "NULL AND shown_revision < revision")
    return [int(r["id"]) for r in rows]


async def claim_open(tx: Querier, poll_id: int, now: float) -> Row | None:
    """Lock an open, not yet due poll for a ballot write (and bump its revision), else None.

    Writing the poll row first serialises ballots with `close_open` on PostgreSQL too, so no
    ballot can land after the result was computed."""
    return await tx.fetchrow(
        "UPDATE votes_polls SET revision = revision + 1 WHERE id = $1 AND status = 'open' "
        "AND (closes_at IS NULL OR closes_at > $2) RETURNING secret", poll_id, now)


async def end_poll(tx: Querier, poll_id: int, status: str, now: float, owner: str) -> bool:
    """open → closed|cancelled exactly once; the secret is destroyed in the same statement."""
    changed = await tx.execute(
        "UPDATE votes_polls SET status = $2, closed_at = $3, secret = NULL, "
        "notify_claimed_at = $3, notify_owner = $4, revision = revision + 1 "
        "WHERE id = $1 AND status = 'open'", poll_id, status, now, owner)
    return changed == 1


async def set_result(tx: Querier, poll_id: int, result: str) -> None:
    await tx.execute("UPDATE votes_polls SET result = $2 WHERE id = $1", poll_id, result)


async def result_of(q: Querier, poll_id: int) -> str | None:
    value = await q.fetchval("SELECT result FROM votes_polls WHERE id = $1", poll_id)
    return None if value is None else str(value)


async def due_polls(q: Querier, now: float, skip: Collection[str] = ()) -> list[int]:
    """Open polls past their deadline, but not those of the communities in `skip`."""
    rows = await q.fetch("SELECT id, community FROM votes_polls WHERE status = 'open' "
                         "AND closes_at <= $1 ORDER BY closes_at", now)
    return [int(r["id"]) for r in rows if r["community"] not in skip]


async def unannounced(q: Querier, before: float) -> list[int]:
    """Open polls whose message was never posted (the process died in between)."""
    rows = await q.fetch("SELECT id FROM votes_polls WHERE status = 'open' AND msg_id IS NULL "
                         "AND room_platform <> '' AND created_at < $1", before)
    return [int(r["id"]) for r in rows]


# -- the close/cancel outbox ----------------------------------------------------------------


async def unfinished(q: Querier, lease_before: float) -> list[int]:
    """Ended polls whose events were never emitted and whose claim has lapsed."""
    rows = await q.fetch("SELECT id FROM votes_polls WHERE status <> 'open' AND notified = 0 "
                         "AND (notify_claimed_at IS NULL OR notify_claimed_at < $1)",
                         lease_before)
    return [int(r["id"]) for r in rows]


async def claim_finish(q: Querier, poll_id: int, now: float, lease_before: float,
                       owner: str) -> bool:
    changed = await q.execute(
        "UPDATE votes_polls SET notify_claimed_at = $2, notify_owner = $4 WHERE id = $1 "
        "AND notified = 0 AND (notify_claimed_at IS NULL OR notify_claimed_at < $3)",
        poll_id, now, lease_before, owner)
    return changed == 1


async def finish_owners(q: Querier) -> list[str]:
    """Runs holding the claim on an ended poll's events, not yet done."""
    rows = await q.fetch("SELECT DISTINCT notify_owner FROM votes_polls WHERE notified = 0 "
                         "AND status <> 'open' AND notify_owner IS NOT NULL")
    return [str(r["notify_owner"]) for r in rows]


async def release_finish(q: Querier, owner: str) -> None:
    await q.execute("UPDATE votes_polls SET notify_claimed_at = NULL WHERE notified = 0 "
                    "AND status <> 'open' AND notify_owner = $1", owner)


async def mark_notified(q: Querier, poll_id: int) -> None:
    await q.execute("UPDATE votes_polls SET notified = 1 WHERE id = $1", poll_id)


async def unshown(q: Querier) -> list[int]:
    rows = await q.fetch("SELECT id FROM votes_polls WHERE status <> 'open' AND notified = 1 "
                         "AND shown = 0")
    return [int(r["id"]) for r in rows]


async def claim_show(q: Querier, poll_id: int) -> bool:
    return await q.execute("UPDATE votes_polls SET shown = 1 WHERE id = $1 AND shown = 0",
                           poll_id) == 1


async def unclaim_show(q: Querier, poll_id: int) -> None:
    await q.execute("UPDATE votes_polls SET shown = 0 WHERE id = $1", poll_id)


# -- ballots --------------------------------------------------------------------------------


async def get_ballot(q: Querier, poll_id: int, voter: str) -> Row | None:
    return await q.fetchrow("SELECT choice, source FROM votes_ballots WHERE poll_id = $1 "
                            "AND voter = $2", poll_id, voter)


async def upsert_ballot(tx: Querier, poll_id: int, voter: str, member_id: int | None,
                        choice: str, weight: int, source: str, cast_at: float | None) -> None:
    """One ballot per voter per poll: voting again replaces it."""
    await tx.execute(
        "INSERT INTO votes_ballots (poll_id, voter, member_id, choice, weight, source, cast_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (poll_id, voter) DO UPDATE SET "
        "choice = excluded.choice, weight = excluded.weight, source = excluded.source, "
        "cast_at = excluded.cast_at", poll_id, voter, member_id, choice, weight, source, cast_at)


async def delete_ballot(tx: Querier, poll_id: int, voter: str) -> bool:
    return await tx.execute("DELETE FROM votes_ballots WHERE poll_id = $1 AND voter = $2",
                            poll_id, voter) == 1


async def ballots(q: Querier, poll_id: int) -> list[Row]:
    """(choice, weight, member_id) of every ballot, in key order (never in casting order)."""
    return await q.fetch("SELECT choice, weight, member_id FROM votes_ballots WHERE poll_id = $1 "
                         "ORDER BY voter", poll_id)


async def reaction_ballots(q: Querier, poll_id: int) -> list[Row]:
    """Named ballots with their source, for reconciling with a message's reactions."""
    return await q.fetch("SELECT voter, member_id, choice, source FROM votes_ballots "
                         "WHERE poll_id = $1 AND member_id IS NOT NULL", poll_id)


async def count_ballots(q: Querier, poll_id: int) -> int:
    return int(await q.fetchval("SELECT COUNT(*) FROM votes_ballots WHERE poll_id = $1",
                                poll_id))


async def member_ballots_in_open_polls(q: Querier, member_id: int) -> list[Row]:
    return await q.fetch(
        "SELECT b.poll_id, b.voter FROM votes_ballots b JOIN votes_polls p ON p.id = b.poll_id "
        "WHERE p.status = 'open' AND b.member_id = $1", member_id)


async def open_secret_polls(q: Querier, community: str) -> list[Row]:
    return await q.fetch("SELECT id, secret FROM votes_polls WHERE community = $1 "
                         "AND status = 'open' AND secret IS NOT NULL", community)


async def rekey_ballot(tx: Querier, poll_id: int, old: str, new: str,
                       member_id: int | None) -> None:
    """Give a ballot to another voter key, unless that voter already has one (it wins)."""
    exists = await tx.fetchval("SELECT 1 FROM votes_ballots WHERE poll_id = $1 AND voter = $2",
                               poll_id, new)
    if exists:
        await tx.execute("DELETE FROM votes_ballots WHERE poll_id = $1 AND voter = $2",
                         poll_id, old)
    else:
        await tx.execute("UPDATE votes_ballots SET voter = $3, member_id = $4 "
                         "WHERE poll_id = $1 AND voter = $2", poll_id, old, new, member_id)


# -- quadratic token charges ----------------------------------------------------------------


async def paid(q: Querier, poll_id: int, member_id: int) -> tuple[int, int, bool]:
    """(tokens paid so far, charges recorded, whether one is still pending)."""
    row = await q.fetchrow(
        "SELECT COALESCE(SUM(CASE WHEN state = 'done' THEN amount ELSE 0 END), 0) AS paid, "
        "COUNT(*) AS n, COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS p "
        "FROM votes_charges WHERE poll_id = $1 AND member_id = $2", poll_id, member_id)
    assert row is not None
    return int(row["paid"]), int(row["n"]), int(row["p"]) > 0


async def insert_charge(tx: Querier, ref: str, poll_id: int, member_id: int, amount: int,
                        state: str, now: float) -> None:
    await tx.execute("INSERT INTO votes_charges (ref, poll_id, member_id, amount, state, "
                     "created_at) VALUES ($1, $2, $3, $4, $5, $6)", ref, poll_id, member_id,
                     amount, state, now)


async def set_charge_state(q: Querier, ref: str, state: str) -> None:
    await q.execute("UPDATE votes_charges SET state = $2 WHERE ref = $1", ref, state)


async def delete_charge(q: Querier, ref: str) -> None:
    await q.execute("DELETE FROM votes_charges WHERE ref = $1 AND state = 'pending'", ref)


async def pending_charges(q: Querier, before: float) -> list[Row]:
    return await q.fetch("SELECT c.ref, c.poll_id, c.member_id, c.amount, p.community "
                         "FROM votes_charges c JOIN votes_polls p ON p.id = c.poll_id "
                         "WHERE c.state = 'pending' AND c.created_at < $1", before)


async def paid_by_member(q: Querier, poll_id: int) -> list[tuple[int, int]]:
    rows = await q.fetch("SELECT member_id, SUM(amount) AS paid FROM votes_charges "
                         "WHERE poll_id = $1 AND state = 'done' GROUP BY member_id "
                         "ORDER BY member_id", poll_id)
    return [(int(r["member_id"]), int(r["paid"])) for r in rows if int(r["paid"]) > 0]


async def move_charges(tx: Querier, old_member: int, new_member: int) -> None:
    await tx.execute("UPDATE votes_charges SET member_id = $2 WHERE member_id = $1",
                     old_member, new_member)


# -- export and integrity -------------------------------------------------------------------


async def export_polls(q: Querier, community: str) -> list[Row]:
    return await q.fetch(
        "SELECT id, number, question, options, method, status, subject, creator_id, created_at, "
        "closes_at, closed_at, anonymous, hidden, quorum, max_choices, result FROM votes_polls "
        "WHERE community = $1 ORDER BY number", community)


async def export_ballots(q: Querier, community: str) -> list[Row]:
    return await q.fetch(
        "SELECT b.poll_id, b.voter, b.member_id, b.choice, b.weight, b.source, b.cast_at "
        "FROM votes_ballots b JOIN votes_polls p ON p.id = b.poll_id WHERE p.community = $1 "
        "ORDER BY b.poll_id, b.voter", community)


def as_dicts(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of either backend as plain dicts (sqlite3.Row and asyncpg.Record both have keys)."""
    return [{key: row[key] for key in row.keys()} for row in rows]


async def integrity_problems(q: Querier) -> list[str]:
    """Invariants `ruche db check` reports on."""
    problems: list[str] = []
    leaked = await q.fetch("SELECT id FROM votes_polls WHERE status <> 'open' "
                           "AND secret IS NOT NULL")
    problems += [f"votes: poll {r['id']} ended but its ballot secret was kept" for r in leaked]
    named = await q.fetch("SELECT DISTINCT b.poll_id FROM votes_ballots b JOIN votes_polls p "
                          "ON p.id = b.poll_id WHERE p.anonymous = 1 AND "
                          "(b.member_id IS NOT NULL OR b.cast_at IS NOT NULL)")
    problems += [f"votes: secret poll {r['poll_id']} has a ballot linked to a member"
                 for r in named]
    missing = await q.fetch("SELECT id FROM votes_polls WHERE status = 'closed' "
                            "AND result IS NULL")
    problems += [f"votes: closed poll {r['id']} has no stored result" for r in missing]
    negative = await q.fetch("SELECT poll_id, member_id FROM votes_charges WHERE state = 'done' "
                             "GROUP BY poll_id, member_id HAVING SUM(amount) < 0")
    problems += [f"votes: member {r['member_id']} was refunded more than they paid on poll "
                 f"{r['poll_id']}" for r in negative]
    return problems
