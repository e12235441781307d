"""SQL for the funding_ tables, and nothing else: the rules live in service.py and settlement.py."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.api import RoomRef, Row
from plugins.funding.models import FundingRound, Tier


class Querier(Protocol):
    """`bot.db` or an op's `tx`: both run these statements."""

    async def execute(self, sql: str, *args: Any) -> int: ...
    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...
    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...


FINAL_STATES = ("succeeded", "failed", "cancelled", "merged")
ACTIVE_STATES = ("open", "settling")


def _marks(values: Sequence[object], start: int) -> str:
    return ", ".join(f"${start + i}" for i in range(len(values)))


# -- ideas mirror -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class KnownIdea:
    """What the ideas plugin's events told us about an idea."""

    community: str
    id: int
    number: int
    title: str
    status: str
    author_id: int
    coauthor_ids: tuple[int, ...]
    anonymous: bool

    @property
    def authors(self) -> tuple[int, ...]:
        return (self.author_id, *self.coauthor_ids)


def _known(row: Row) -> KnownIdea:
    coauthors = tuple(int(x) for x in str(row["coauthor_ids"]).split(",") if x)
    return KnownIdea(row["community"], int(row["idea_id"]), int(row["number"]), row["title"],
                     row["status"], int(row["author_id"]), coauthors, bool(row["anonymous"]))


async def upsert_idea(q: Querier, idea: KnownIdea, now: float) -> None:
    await q.execute(
        "INSERT INTO funding_ideas (community, idea_id, number, title, status, author_id, "
        "coauthor_ids, anonymous, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (community, idea_id) DO UPDATE SET number = excluded.number, "
        "title = excluded.title, status = excluded.status, author_id = excluded.author_id, "
        "coauthor_ids = excluded.coauthor_ids, anonymous = excluded.anonymous, "
        "updated_at = excluded.updated_at",
        idea.community, idea.id, idea.number, idea.title, idea.status, idea.author_id,
        ",".join(str(i) for i in idea.coauthor_ids), int(idea.anonymous), now,
    )


async def idea_by_number(q: Querier, community: str, number: int) -> KnownIdea | None:
    row = await q.fetchrow(
        "SELECT * FROM funding_ideas WHERE community = $1 AND number = $2 "
        "ORDER BY updated_at DESC LIMIT 1", community, number)
    return None if row is None else _known(row)


async def idea_by_id(q: Querier, community: str, idea_id: int) -> KnownIdea | None:
    row = await q.fetchrow(
        "SELECT * FROM funding_ideas WHERE community = $1 AND idea_id = $2", community, idea_id)
    return None if row is None else _known(row)


# -- rounds -------------------------------------------------------------------------------------

def encode_tiers(tiers: Sequence[Tier]) -> str:
    return json.dumps([[t.amount, t.title] for t in tiers], ensure_ascii=False)


def decode_tiers(text: str) -> tuple[Tier, ...]:
    return tuple(Tier(int(a), str(t)) for a, t in json.loads(text or "[]"))


def round_of(row: Row, raised: int, backers: int) -> FundingRound:
    """A FundingRound from a `funding_rounds` row and the totals that go with its state."""
    room = RoomRef(row["room_platform"], row["room_id"], row["room_name"], row["room_guild"]) \
        if row["room_platform"] else None
    settled = row["settled_at"]
    return FundingRound(
        id=int(row["id"]), community=row["community"], idea_id=int(row["idea_id"]),
        idea_number=int(row["idea_number"]), title=row["title"], goal=int(row["goal"]),
        raised=raised, backers=backers, state=row["state"], deadline=float(row["deadline"]),
        wallet=row["wallet"], cap=int(row["cap"]), tiers=decode_tiers(row["tiers"]),
        stretch_goals=decode_tiers(row["stretch"]),
        opened_by=None if row["opened_by"] is None else int(row["opened_by"]),
        opened_at=float(row["opened_at"]), settled_at=None if settled is None else float(settled),
        anonymous=bool(row["anonymous"]), room=room,
    )


async def insert_round(q: Querier, *, community: str, idea: KnownIdea, goal: int, cap: int,
                       tiers: Sequence[Tier], stretch: Sequence[Tier], wallet: str,
                       opened_by: int, now: float, deadline: float,
                       room: RoomRef | None, hidden_wallet: bool) -> int | None:
    """A new open round; None if the idea already has one in progress (unique index).
    `hidden_wallet`: the wallet is an anonymous author's, whose name is never shown."""
    value = await q.fetchval(
        "INSERT INTO funding_rounds (community, idea_id, idea_number, title, anonymous, goal, "
        "cap, tiers, stretch, wallet, opened_by, opened_at, deadline, room_platform, room_id, "
        "room_name, room_guild, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
        "$11, $12, $13, $14, $15, $16, $17, $12) ON CONFLICT DO NOTHING RETURNING id",
        community, idea.id, idea.number, idea.title, int(hidden_wallet), goal, cap,
        encode_tiers(tiers), encode_tiers(stretch), wallet, opened_by, now, deadline,
        room.platform if room else "", room.id if room else "", room.name if room else "",
        room.guild if room else "",
    )
    return None if value is None else int(value)


async def round_row(q: Querier, round_id: int) -> Row | None:
    return await q.fetchrow("SELECT * FROM funding_rounds WHERE id = $1", round_id)


async def active_round_id(q: Querier, community: str, idea_id: int) -> int | None:
    value = await q.fetchval(
        "SELECT id FROM funding_rounds WHERE community = $1 AND idea_id = $2 "
        "AND state IN ('open', 'settling')", community, idea_id)
    return None if value is None else int(value)


async def latest_round_id(q: Querier, community: str, idea_id: int) -> int | None:
    value = await q.fetchval(
        "SELECT id FROM funding_rounds WHERE community = $1 AND idea_id = $2 "
        "ORDER BY id DESC LIMIT 1", community, idea_id)
    return None if value is None else int(value)


async def list_round_ids(q: Querier, community: str, states: Sequence[str], limit: int,
                         offset: int = 0) -> list[int]:
    rows = await q.fetch(
        f"SELECT id FROM funding_rounds WHERE community = $1 AND state IN ({_marks(states, 4)}) "
        "ORDER BY CASE WHEN state = 'open' THEN deadline ELSE -id END, id LIMIT $2 OFFSET $3",
        community, limit, offset, *states)
    return [int(r["id"]) for r in rows]


async def count_rounds(q: Querier, community: str, states: Sequence[str]) -> int:
    return int(await q.fetchval(
        f"SELECT COUNT(*) FROM funding_rounds WHERE community = $1 "
        f"AND state IN ({_marks(states, 2)})", community, *states))


async def guard_open(q: Querier, round_id: int, now: float) -> bool:
    """Inside an op: true if the round still takes pledges. The UPDATE locks the row on
    PostgreSQL, so a concurrent claim waits for this op and then sees what it wrote."""
    return await q.execute(
        "UPDATE funding_rounds SET updated_at = $2 WHERE id = $1 AND state = 'open' "
        "AND deadline > $2", round_id, now) == 1


async def claim(q: Querier, round_id: int, kind: str, now: float, *, due_only: bool,
                merge_idea: int | None = None) -> bool:
    """open → settling, once: whoever changes the row settles the round."""
    due = " AND deadline <= $3" if due_only else ""
    return await q.execute(
        "UPDATE funding_rounds SET state = 'settling', settle_kind = $2, merge_idea = $4, "
        f"updated_at = $3 WHERE id = $1 AND state = 'open'{due}",
        round_id, kind, now, merge_idea) == 1


async def due_round_ids(q: Querier, now: float, skip: Collection[str] = ()) -> list[int]:
    """Open rounds past their deadline, but not those of the communities in `skip`."""
    rows = await q.fetch("SELECT id, community FROM funding_rounds WHERE state = 'open' "
                         "AND deadline <= $1 ORDER BY id", now)
    return [int(r["id"]) for r in rows if r["community"] not in skip]


async def settling_round_ids(q: Querier) -> list[int]:
    rows = await q.fetch("SELECT id FROM funding_rounds WHERE state = 'settling' ORDER BY id")
    return [int(r["id"]) for r in rows]


async def decide(q: Querier, round_id: int, outcome: str, raised: int, backers: int,
                 merged_into: int | None, now: float) -> bool:
    return await q.execute(
        "UPDATE funding_rounds SET outcome = $2, raised = $3, backers = $4, merged_into = $5, "
        "updated_at = $6 WHERE id = $1 AND state = 'settling' AND outcome IS NULL",
        round_id, outcome, raised, backers, merged_into, now) == 1


async def finish(q: Querier, round_id: int, state: str, now: float) -> bool:
    return await q.execute(
        "UPDATE funding_rounds SET state = $2, settled_at = $3, updated_at = $3 "
        "WHERE id = $1 AND state = 'settling'", round_id, state, now) == 1


async def unnotified_round_ids(q: Querier) -> list[int]:
    rows = await q.fetch(
        f"SELECT id FROM funding_rounds WHERE notified = 0 "
        f"AND state IN ({_marks(FINAL_STATES, 1)}) ORDER BY id", *FINAL_STATES)
    return [int(r["id"]) for r in rows]


async def claim_notify(q: Querier, round_id: int, now: float, lease: float,
                       owner: str) -> bool:
    """One caller emits a settled round's event; a crashed claim lapses after `lease`, or at
    the next start of the process that took it (`release_notify`)."""
    return await q.execute(
        "UPDATE funding_rounds SET notify_claimed_at = $2, notify_owner = $4 WHERE id = $1 "
        "AND notified = 0 AND (notify_claimed_at IS NULL OR notify_claimed_at < $3)",
        round_id, now, now - lease, owner) == 1


async def notify_owners(q: Querier) -> list[str]:
    """Runs holding an event claim not yet done."""
    rows = await q.fetch("SELECT DISTINCT notify_owner FROM funding_rounds WHERE notified = 0 "
                         "AND notify_claimed_at IS NOT NULL AND notify_owner IS NOT NULL")
    return [str(r["notify_owner"]) for r in rows]


async def release_notify(q: Querier, owner: str) -> None:
    await q.execute("UPDATE funding_rounds SET notify_claimed_at = NULL WHERE notified = 0 "
                    "AND notify_owner = $1", owner)


async def mark_notified(q: Querier, round_id: int) -> None:
    await q.execute("UPDATE funding_rounds SET notified = 1 WHERE id = $1", round_id)


# -- pledges ------------------------------------------------------------------------------------

async def confirmed_totals(q: Querier, round_id: int) -> tuple[int, int]:
    """(sum of confirmed pledges, members with one) of a round; the treasury's pledges count
    toward the sum, not as a backer."""
    row = await q.fetchrow(
        "SELECT COALESCE(SUM(amount), 0) AS raised, COUNT(DISTINCT CASE WHEN member_id <> 0 "
        "THEN member_id END) AS backers "
        "FROM funding_pledges WHERE round_id = $1 AND state = 'confirmed'", round_id)
    assert row is not None
    return int(row["raised"]), int(row["backers"])


async def member_state(q: Querier, round_id: int, member_id: int) -> tuple[int, bool, int]:
    """(pledged: pending + confirmed, a movement in flight, highest seq) of one member."""
    row = await q.fetchrow(
        "SELECT COALESCE(SUM(CASE WHEN state IN ('pending', 'confirmed') THEN amount ELSE 0 "
        "END), 0) AS pledged, COALESCE(SUM(CASE WHEN state IN ('pending', 'refunding') "
        "THEN 1 ELSE 0 END), 0) AS busy, COALESCE(MAX(seq), 0) AS seq "
        "FROM funding_pledges WHERE round_id = $1 AND member_id = $2", round_id, member_id)
    assert row is not None
    return int(row["pledged"]), int(row["busy"]) > 0, int(row["seq"])


async def member_total(q: Querier, round_id: int, member_id: int) -> int:
    return int(await q.fetchval(
        "SELECT COALESCE(SUM(amount), 0) FROM funding_pledges WHERE round_id = $1 "
        "AND member_id = $2 AND state = 'confirmed'", round_id, member_id))


async def member_round_totals(q: Querier, community: str,
                              member_id: int) -> list[tuple[int, int]]:
    """(round id, confirmed total) of a member's pledges on rounds in progress (member index)."""
    rows = await q.fetch(
        "SELECT p.round_id, SUM(p.amount) AS total FROM funding_pledges p"
        " JOIN funding_rounds r ON r.id = p.round_id WHERE p.community = $1"
        " AND p.member_id = $2 AND p.state = 'confirmed' AND r.state IN ('open', 'settling')"
        " GROUP BY p.round_id ORDER BY p.round_id LIMIT 50", community, member_id)
    return [(int(r["round_id"]), int(r["total"])) for r in rows]


async def insert_pledge(q: Querier, *, round_id: int, community: str, member_id: int, seq: int,
                        amount: int, src: str, reason: str, ref: str, now: float,
                        moved_from: int | None = None) -> int:
    value = await q.fetchval(
        "INSERT INTO funding_pledges (round_id, community, member_id, seq, amount, state, src, "
        "reason, ref, moved_from, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, "
        "'pending', $6, $7, $8, $9, $10, $10) RETURNING id",
        round_id, community, member_id, seq, amount, src, reason, ref, moved_from, now)
    return int(value)


async def delete_pending(q: Querier, pledge_id: int) -> None:
    """A pledge the ledger refused: it never moved anything, so it leaves no trace."""
    await q.execute("DELETE FROM funding_pledges WHERE id = $1 AND state = 'pending'", pledge_id)


async def set_state(q: Querier, pledge_id: int, old: str, new: str, now: float) -> bool:
    return await q.execute(
        "UPDATE funding_pledges SET state = $3, updated_at = $4 WHERE id = $1 AND state = $2",
        pledge_id, old, new, now) == 1


async def set_round_states(q: Querier, round_id: int, old: str, new: str, now: float,
                           member_id: int | None = None) -> int:
    """Every pledge of a round (or of one member in it) in `old` moves to `new`."""
    if member_id is None:
        return await q.execute(
            "UPDATE funding_pledges SET state = $3, updated_at = $4 WHERE round_id = $1 "
            "AND state = $2", round_id, old, new, now)
    return await q.execute(
        "UPDATE funding_pledges SET state = $3, updated_at = $4 WHERE round_id = $1 "
        "AND state = $2 AND member_id = $5", round_id, old, new, now, member_id)


async def pledges(q: Querier, round_id: int, states: Sequence[str],
                  member_id: int | None = None) -> list[Row]:
    who = f" AND member_id = ${len(states) + 2}" if member_id is not None else ""
    args: list[object] = [round_id, *states]
    if member_id is not None:
        args.append(member_id)
    return await q.fetch(
        f"SELECT * FROM funding_pledges WHERE round_id = $1 AND state IN "
        f"({_marks(states, 2)}){who} ORDER BY id", *args)


async def pledge_row(q: Querier, pledge_id: int) -> Row | None:
    return await q.fetchrow("SELECT * FROM funding_pledges WHERE id = $1", pledge_id)


async def pledge_by_ref(q: Querier, ref: str) -> Row | None:
    return await q.fetchrow("SELECT * FROM funding_pledges WHERE ref = $1", ref)


async def continuation(q: Querier, pledge_id: int) -> Row | None:
    """The pledge a merge created in the target round for this one."""
    return await q.fetchrow("SELECT * FROM funding_pledges WHERE moved_from = $1", pledge_id)


async def stale_round_ids(q: Querier, states: Sequence[str], before: float) -> list[int]:
    """Rounds with a movement in one of `states` untouched since `before`."""
    rows = await q.fetch(
        f"SELECT DISTINCT round_id FROM funding_pledges WHERE state IN ({_marks(states, 2)}) "
        "AND updated_at < $1 ORDER BY round_id", before, *states)
    return [int(r["round_id"]) for r in rows]


async def count_in(q: Querier, round_id: int, states: Sequence[str]) -> int:
    return int(await q.fetchval(
        f"SELECT COUNT(*) FROM funding_pledges WHERE round_id = $1 "
        f"AND state IN ({_marks(states, 2)})", round_id, *states))


async def sums_by_member(q: Querier, round_id: int, state: str) -> list[tuple[int, int]]:
    """Members' totals in a state (the treasury, member 0, is no backer)."""
    rows = await q.fetch(
        "SELECT member_id, SUM(amount) AS total FROM funding_pledges WHERE round_id = $1 "
        "AND state = $2 AND member_id <> 0 GROUP BY member_id ORDER BY SUM(amount) DESC, member_id",
        round_id, state)
    return [(int(r["member_id"]), int(r["total"])) for r in rows]


async def escrow_expectations(q: Querier) -> list[Row]:
    """Per round and pledge state, the amounts: what `check_integrity` compares the ledger to."""
    return await q.fetch(
        "SELECT r.id, r.community, r.state, r.outcome, p.state AS pstate, "
        "COALESCE(SUM(p.amount), 0) AS total FROM funding_rounds r "
        "LEFT JOIN funding_pledges p ON p.round_id = r.id "
        "GROUP BY r.id, r.community, r.state, r.outcome, p.state ORDER BY r.id")


# -- backers ------------------------------------------------------------------------------------

async def insert_backer(q: Querier, round_id: int, community: str, member_id: int, amount: int,
                        tier: str) -> None:
    await q.execute(
        "INSERT INTO funding_backers (round_id, community, member_id, amount, tier) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        round_id, community, member_id, amount, tier)


async def backers(q: Querier, round_id: int) -> list[Row]:
    return await q.fetch(
        "SELECT member_id, amount, tier FROM funding_backers WHERE round_id = $1 "
        "ORDER BY amount DESC, member_id", round_id)


# -- account links ------------------------------------------------------------------------------

async def relink(q: Querier, community: str, old: int, new: int) -> None:
    """Pledges, backers and wallets of member `old` now belong to `new` (after `!link`)."""
    await q.execute(
        "UPDATE funding_pledges SET member_id = $3 WHERE community = $1 AND member_id = $2",
        community, old, new)
    rows = await q.fetch(
        "SELECT round_id, amount, tier FROM funding_backers WHERE community = $1 "
        "AND member_id = $2", community, old)
    for row in rows:
        merged = await q.execute(
            "UPDATE funding_backers SET amount = amount + $3 WHERE round_id = $1 "
            "AND member_id = $2", row["round_id"], new, row["amount"])
        if merged:
            await q.execute("DELETE FROM funding_backers WHERE round_id = $1 AND member_id = $2",
                            row["round_id"], old)
        else:
            await q.execute(
                "UPDATE funding_backers SET member_id = $3 WHERE round_id = $1 "
                "AND member_id = $2", row["round_id"], old, new)
    await q.execute("UPDATE funding_updates SET author_id = $3 WHERE community = $1"
                    " AND author_id = $2", community, old, new)
    await q.execute(
        "UPDATE funding_rounds SET wallet = $3 WHERE community = $1 AND wallet = $2 "
        "AND state IN ('open', 'settling')", community, f"member:{old}", f"member:{new}")


# -- export -------------------------------------------------------------------------------------

async def export_rows(q: Querier, community: str) -> dict[str, list[dict[str, Any]]]:
    rounds = await q.fetch(
        "SELECT id, idea_id, idea_number, title, goal, cap, wallet, state, outcome, raised, "
        "backers, opened_by, opened_at, deadline, settled_at FROM funding_rounds "
        "WHERE community = $1 ORDER BY id", community)
    pledge_rows = await q.fetch(
        "SELECT id, round_id, member_id, amount, state, reason, ref, created_at "
        "FROM funding_pledges WHERE community = $1 ORDER BY id", community)
    backer_rows = await q.fetch(
        "SELECT round_id, member_id, amount, tier FROM funding_backers WHERE community = $1 "
        "ORDER BY round_id, member_id", community)
    return {
        "funding_rounds": [_plain(r, rounds_keys) for r in rounds],
        "funding_pledges": [_plain(r, pledge_keys) for r in pledge_rows],
        "funding_backers": [_plain(r, backer_keys) for r in backer_rows],
    }


rounds_keys = ("id", "idea_id", "idea_number", "title", "goal", "cap", "wallet", "state",
               "outcome", "raised", "backers", "opened_by", "opened_at", "deadline", "settled_at")
pledge_keys = ("id", "round_id", "member_id", "amount", "state", "reason", "ref", "created_at")
backer_keys = ("round_id", "member_id", "amount", "tier")


def _plain(row: Row, keys: Sequence[str]) -> dict[str, Any]:
    return {k: row[k] for k in keys}
