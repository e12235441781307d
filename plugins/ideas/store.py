"""SQL only: every statement of the ideas plugin, on `$n` placeholders for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from bot.api import Database, RoomRef, Row, Tx
from plugins.ideas.migrations import FTS_TABLE
from plugins.ideas.models import Idea

Q = Tx | Database  # reads work on both; writes are only ever given a Tx

_IDEA_COLUMNS = (
    "i.id, i.community, i.number, i.title, i.description, i.status, i.author_id, i.anonymous,"
    " i.campaign_id, c.name AS campaign, i.supporters, i.comments, i.merged_into, i.poll_id,"
    " i.poll_number, i.reason, i.room_platform, i.room_id, i.room_name, i.room_guild,"
    " i.message_id, i.created_at"
)
_IDEA_FROM = " FROM ideas_ideas i LEFT JOIN ideas_campaigns c ON c.id = i.campaign_id"
_SELECT_IDEA = "SELECT " + _IDEA_COLUMNS + _IDEA_FROM


@dataclass(frozen=True, slots=True)
class IdeaRow:
    """One stored idea with the internal columns other plugins do not see."""

    id: int
    community: str
    number: int
    title: str
    description: str
    status: str
    author_id: int
    anonymous: bool
    campaign_id: int | None
    campaign: str | None
    supporters: int
    comments: int
    merged_into: int | None
    poll_id: int | None
    poll_number: int | None
    reason: str
    room: RoomRef | None
    message_id: str | None
    created_at: float

    def public(self, coauthor_ids: Sequence[int] = ()) -> Idea:
        """The frozen payload hooks carry."""
        return Idea(
            id=self.id, community=self.community, number=self.number, title=self.title,
            description=self.description, status=self.status, author_id=self.author_id,
            coauthor_ids=tuple(coauthor_ids), anonymous=self.anonymous, campaign=self.campaign,
            supporters=self.supporters, created_at=self.created_at, room=self.room,
        )


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """One open call for ideas."""

    id: int
    community: str
    name: str
    description: str
    bounty: int
    status: str
    closes_at: float | None
    created_at: float
    closed_at: float | None
    room: RoomRef | None
    ideas: int = 0


def _room(row: Row) -> RoomRef | None:
    if not row["room_platform"]:
        return None
    return RoomRef(row["room_platform"], row["room_id"], row["room_name"] or "",
                   row["room_guild"] or "")


def _idea(row: Row) -> IdeaRow:
    def opt(name: str) -> int | None:
        return None if row[name] is None else int(row[name])

    return IdeaRow(
        id=int(row["id"]), community=row["community"], number=int(row["number"]),
        title=row["title"], description=row["description"], status=row["status"],
        author_id=int(row["author_id"]), anonymous=bool(row["anonymous"]),
        campaign_id=opt("campaign_id"), campaign=row["campaign"],
        supporters=int(row["supporters"]), comments=int(row["comments"]),
        merged_into=opt("merged_into"), poll_id=opt("poll_id"), poll_number=opt("poll_number"),
        reason=row["reason"], room=_room(row), message_id=row["message_id"],
        created_at=float(row["created_at"]),
    )


def _marks(start: int, count: int) -> str:
    return ", ".join(f"${start + i}" for i in range(count))


# -- ideas: reads ---------------------------------------------------------------------------------

async def idea_by_number(q: Q, community: str, number: int) -> IdeaRow | None:
    row = await q.fetchrow(_SELECT_IDEA + " WHERE i.community = $1 AND i.number = $2",
                           community, number)
    return _idea(row) if row is not None else None


async def idea_by_id(q: Q, idea_id: int) -> IdeaRow | None:
    row = await q.fetchrow(_SELECT_IDEA + " WHERE i.id = $1", idea_id)
    return _idea(row) if row is not None else None


async def coauthor_ids(q: Q, idea_id: int) -> tuple[int, ...]:
    rows = await q.fetch("SELECT member_id FROM ideas_coauthors WHERE idea_id = $1"
                         " ORDER BY added_at, member_id", idea_id)
    return tuple(int(r["member_id"]) for r in rows)


async def public_idea(q: Q, idea_id: int) -> Idea:
    """The hook payload of an idea, co-authors included (read inside the writing tx)."""
    row = await idea_by_id(q, idea_id)
    assert row is not None
    return row.public(await coauthor_ids(q, idea_id))


async def is_supporter(q: Q, idea_id: int, member_id: int) -> bool:
    return bool(await q.fetchval(
        "SELECT 1 FROM ideas_supports WHERE idea_id = $1 AND member_id = $2", idea_id, member_id))


async def supporter_ids(q: Q, idea_id: int) -> list[int]:
    """Every member supporting the idea, earliest first."""
    rows = await q.fetch("SELECT member_id FROM ideas_supports WHERE idea_id = $1"
                         " ORDER BY created_at, member_id", idea_id)
    return [int(r["member_id"]) for r in rows]


async def list_ideas(q: Q, community: str, statuses: Sequence[str], *, member_id: int | None,
                     campaign_id: int | None, limit: int, offset: int) -> list[IdeaRow]:
    """A page of ideas, newest first; `member_id` keeps those they wrote or co-wrote.

    The page's ids are picked on an index alone (`ideas_ideas_page` covers community, number
    and status), so skipping 50,000 rows of OFFSET reads no table row.
    """
    args: list[Any] = [community, *statuses]
    pick = ("SELECT p.id FROM ideas_ideas p WHERE p.community = $1 AND p.status IN ("
            + _marks(2, len(statuses)) + ")")
    if member_id is not None:
        args.append(member_id)
        n = len(args)
        pick += (f" AND p.id IN (SELECT id FROM ideas_ideas WHERE community = $1"
                 f" AND author_id = ${n} UNION SELECT idea_id FROM ideas_coauthors"
                 f" WHERE member_id = ${n})")  # a UNION, not OR, so both indexes serve
    if campaign_id is not None:
        args.append(campaign_id)
        pick += f" AND p.campaign_id = ${len(args)}"
    args += [limit, offset]
    pick += f" ORDER BY p.number DESC LIMIT ${len(args) - 1} OFFSET ${len(args)}"
    sql = _SELECT_IDEA + f" WHERE i.id IN ({pick}) ORDER BY i.number DESC"
    return [_idea(r) for r in await q.fetch(sql, *args)]


async def has_fts(q: Q) -> bool:
    """Whether the migration could create the FTS5 index (SQLite built with FTS5)."""
    if q.dialect != "sqlite":
        return False
    return bool(await q.fetchval(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", FTS_TABLE))


#: FTS5 ranks only the newest matches: bm25 over every match of a word found in most ideas
#: would cost ~1 µs per match (100 ms at 100,000 ideas); refining the query finds older ones.
SEARCH_WINDOW = 1000


async def search_fts(q: Q, community: str, match: str, statuses: Sequence[str], *,
                     limit: int, offset: int) -> list[IdeaRow]:
    """Best matches first (bm25, title words weigh 4×) among the newest `SEARCH_WINDOW`."""
    args: list[Any] = [match, SEARCH_WINDOW, community, *statuses, limit, offset]
    n = len(args)
    sql = ("SELECT " + _IDEA_COLUMNS + " FROM"
           f" (SELECT rowid AS id, bm25({FTS_TABLE}, 4.0, 1.0) AS score FROM {FTS_TABLE}"
           f" WHERE {FTS_TABLE} MATCH $1 ORDER BY rowid DESC LIMIT $2) h"
           " JOIN ideas_ideas i ON i.id = h.id"
           " LEFT JOIN ideas_campaigns c ON c.id = i.campaign_id"
           " WHERE i.community = $3 AND i.status IN (" + _marks(4, len(statuses)) + ")"
           f" ORDER BY h.score, i.number DESC LIMIT ${n - 1} OFFSET ${n}")
    return [_idea(r) for r in await q.fetch(sql, *args)]


async def search_like(q: Q, community: str, patterns: Sequence[str], statuses: Sequence[str], *,
                      limit: int, offset: int) -> list[IdeaRow]:
    """Every pattern in the folded title + description (`search_text`), newest first."""
    args: list[Any] = [community, *statuses]
    sql = (_SELECT_IDEA + " WHERE i.community = $1 AND i.status IN ("
           + _marks(2, len(statuses)) + ")")
    for pattern in patterns:
        args.append(pattern)
        n = len(args)
        sql += f" AND i.search_text LIKE ${n} ESCAPE '\\'"
    args += [limit, offset]
    sql += f" ORDER BY i.number DESC LIMIT ${len(args) - 1} OFFSET ${len(args)}"
    return [_idea(r) for r in await q.fetch(sql, *args)]


async def recent_comments(q: Q, idea_id: int, limit: int) -> list[tuple[int, str, float]]:
    rows = await q.fetch(
        "SELECT member_id, text, created_at FROM ideas_comments WHERE idea_id = $1"
        " ORDER BY id DESC LIMIT $2", idea_id, limit)
    return [(int(r["member_id"]), r["text"], float(r["created_at"])) for r in reversed(rows)]


async def feedback_summary(q: Q, idea_id: int) -> tuple[int, float]:
    row = await q.fetchrow(
        "SELECT COUNT(*) AS n, AVG(rating) AS avg FROM ideas_feedback WHERE idea_id = $1",
        idea_id)
    if row is None or not row["n"]:
        return 0, 0.0
    return int(row["n"]), float(row["avg"])


async def rated_ideas(q: Q, community: str, limit: int) -> list[tuple[int, int, float]]:
    """(idea id, ratings, average) of the community's rated ideas, latest rated first."""
    rows = await q.fetch(
        "SELECT f.idea_id, COUNT(*) AS n, AVG(f.rating) AS avg, MAX(f.created_at) AS last"
        " FROM ideas_feedback f JOIN ideas_ideas i ON i.id = f.idea_id"
        " WHERE i.community = $1 AND i.status = 'implemented'"
        " GROUP BY f.idea_id ORDER BY last DESC, f.idea_id DESC LIMIT $2", community, limit)
    return [(int(r["idea_id"]), int(r["n"]), float(r["avg"])) for r in rows]


async def recent_submissions(q: Q, community: str, member_id: int, since: float) -> int:
    return int(await q.fetchval(
        "SELECT COUNT(*) FROM ideas_ideas WHERE community = $1 AND author_id = $2"
        " AND created_at >= $3", community, member_id, since) or 0)


# -- ideas: writes (inside one atomic op) ----------------------------------------------------------

async def lock_ideas(tx: Tx, community: str, numbers: Sequence[int]) -> None:
    """Serialize writers of these ideas on PostgreSQL (in number order, so no deadlock).

    Under READ COMMITTED a statement that waited for a row lock still reads its subqueries
    from the snapshot taken before the wait; locking first makes every later statement of
    the op see what the previous writer committed. SQLite's single writer needs nothing.
    """
    if tx.dialect != "postgresql":
        return
    for number in sorted(set(numbers)):
        await tx.execute("SELECT id FROM ideas_ideas WHERE community = $1 AND number = $2"
                         " FOR UPDATE", community, number)


async def next_number(tx: Tx, community: str) -> int:
    """The community's next #N; the counter row serializes concurrent submissions."""
    return int(await tx.fetchval(
        "INSERT INTO ideas_counters (community, last_number) VALUES ($1, 1)"
        " ON CONFLICT (community) DO UPDATE SET last_number = ideas_counters.last_number + 1"
        " RETURNING last_number", community))


async def insert_idea(tx: Tx, *, community: str, number: int, title: str, description: str,
                      search_text: str, status: str, author_id: int, anonymous: bool,
                      campaign_id: int | None, room: RoomRef | None, now: float) -> int:
    return int(await tx.fetchval(
        "INSERT INTO ideas_ideas (community, number, title, description, search_text, status,"
        " author_id, anonymous, campaign_id, room_platform, room_id, room_name, room_guild,"
        " created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
        community, number, title, description, search_text, status, author_id, int(anonymous),
        campaign_id, room.platform if room else None, room.id if room else None,
        room.name if room else None, room.guild if room else None, now))


async def set_message(q: Q, idea_id: int, message_id: str) -> None:
    """Remember the announcement message (threads hang comments under it)."""
    await q.execute("UPDATE ideas_ideas SET message_id = $1 WHERE id = $2", message_id, idea_id)


async def update_text(tx: Tx, idea_id: int, title: str, description: str, search_text: str,
                      now: float) -> None:
    await tx.execute(
        "UPDATE ideas_ideas SET title = $1, description = $2, search_text = $3, updated_at = $4"
        " WHERE id = $5", title, description, search_text, now, idea_id)


async def set_status(tx: Tx, idea_id: int, old: str, new: str, *, reason: str, now: float,
                     merged_into: int | None = None) -> bool:
    """Conditional on the status read before: a concurrent change makes this a no-op (False)."""
    changed = await tx.execute(
        "UPDATE ideas_ideas SET status = $1, reason = $2, updated_at = $3,"
        " merged_into = COALESCE($4, merged_into) WHERE id = $5 AND status = $6",
        new, reason, now, merged_into, idea_id, old)
    return changed == 1


async def add_history(tx: Tx, idea_id: int, old: str, new: str, member_id: int | None,
                      reason: str, now: float) -> None:
    await tx.execute(
        "INSERT INTO ideas_history (idea_id, old_status, new_status, member_id, reason, at)"
        " VALUES ($1, $2, $3, $4, $5, $6)", idea_id, old, new, member_id, reason, now)


async def set_poll(tx: Tx, idea_id: int, poll_id: int | None, poll_number: int | None) -> None:
    await tx.execute("UPDATE ideas_ideas SET poll_id = $1, poll_number = $2 WHERE id = $3",
                     poll_id, poll_number, idea_id)


async def add_support(tx: Tx, idea_id: int, member_id: int, now: float) -> bool:
    return await tx.execute(
        "INSERT INTO ideas_supports (idea_id, member_id, created_at) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING", idea_id, member_id, now) == 1


async def remove_support(tx: Tx, idea_id: int, member_id: int) -> bool:
    return await tx.execute("DELETE FROM ideas_supports WHERE idea_id = $1 AND member_id = $2",
                            idea_id, member_id) == 1


async def refresh_supporters(tx: Tx, idea_id: int) -> int:
    """Recount from the supports table (the source of truth) and store the count."""
    return int(await tx.fetchval(
        "UPDATE ideas_ideas SET supporters ="
        " (SELECT COUNT(*) FROM ideas_supports WHERE idea_id = $1) WHERE id = $1"
        " RETURNING supporters", idea_id))


async def cross_threshold(tx: Tx, idea_id: int, old: str, new: str, threshold: int,
                          now: float) -> bool:
    """`old` → `new` once the count reaches the threshold; True only for the crossing write."""
    return await tx.execute(
        "UPDATE ideas_ideas SET status = $1, updated_at = $2"
        " WHERE id = $3 AND status = $4 AND supporters >= $5",
        new, now, idea_id, old, threshold) == 1


async def add_comment(tx: Tx, idea_id: int, member_id: int, text: str, now: float) -> int:
    await tx.execute("INSERT INTO ideas_comments (idea_id, member_id, text, created_at)"
                     " VALUES ($1, $2, $3, $4)", idea_id, member_id, text, now)
    return int(await tx.fetchval(
        "UPDATE ideas_ideas SET comments = comments + 1 WHERE id = $1 RETURNING comments",
        idea_id))


async def add_coauthor(tx: Tx, idea_id: int, member_id: int, now: float) -> bool:
    return await tx.execute(
        "INSERT INTO ideas_coauthors (idea_id, member_id, added_at) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING", idea_id, member_id, now) == 1


async def put_credit(tx: Tx, idea_id: int, member_id: int, share: int, by: int,
                     now: float) -> bool:
    """Credit a contributor, or change their share (keeping when they were first credited);
    True when they were not credited before."""
    known = await tx.fetchval("SELECT 1 FROM ideas_credits WHERE idea_id = $1"
                              " AND member_id = $2", idea_id, member_id)
    if known:
        await tx.execute("UPDATE ideas_credits SET share = $1, credited_by = $2"
                         " WHERE idea_id = $3 AND member_id = $4", share, by, idea_id, member_id)
        return False
    await tx.execute("INSERT INTO ideas_credits (idea_id, member_id, share, credited_by,"
                     " created_at) VALUES ($1, $2, $3, $4, $5)", idea_id, member_id, share, by,
                     now)
    return True


async def credits(q: Q, idea_id: int) -> list[tuple[int, int]]:
    """(member id, share) of the idea's credited contributors, earliest credit first."""
    rows = await q.fetch("SELECT member_id, share FROM ideas_credits WHERE idea_id = $1"
                         " ORDER BY created_at, member_id", idea_id)
    return [(int(r["member_id"]), int(r["share"])) for r in rows]


async def first_supporters(q: Q, idea_id: int, exclude: Sequence[int], limit: int) -> list[int]:
    """The idea's `limit` earliest supporters, leaving out `exclude` (its authors)."""
    if limit <= 0:
        return []
    skip = f" AND member_id NOT IN ({_marks(3, len(exclude))})" if exclude else ""
    rows = await q.fetch("SELECT member_id FROM ideas_supports WHERE idea_id = $1" + skip
                         + " ORDER BY created_at, member_id LIMIT $2", idea_id, limit, *exclude)
    return [int(r["member_id"]) for r in rows]


async def put_feedback(tx: Tx, idea_id: int, member_id: int, rating: int, text: str,
                       now: float) -> bool:
    """Insert or replace a member's feedback; True when it is their first."""
    first = not await tx.fetchval(
        "SELECT 1 FROM ideas_feedback WHERE idea_id = $1 AND member_id = $2", idea_id, member_id)
    await tx.execute(
        "INSERT INTO ideas_feedback (idea_id, member_id, rating, text, created_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idea_id, member_id) DO UPDATE SET"
        " rating = excluded.rating, text = excluded.text, created_at = excluded.created_at",
        idea_id, member_id, rating, text, now)
    return first


async def move_supports(tx: Tx, source: int, target: int, exclude: Sequence[int],
                        now: float) -> None:
    """Supports of `source` go to `target`; someone who supported both keeps one support."""
    args: list[Any] = [target, source, now, *exclude]
    skip = f" AND member_id NOT IN ({_marks(4, len(exclude))})" if exclude else ""
    await tx.execute(
        "INSERT INTO ideas_supports (idea_id, member_id, created_at)"
        " SELECT $1, member_id, $3 FROM ideas_supports WHERE idea_id = $2" + skip
        + " ON CONFLICT DO NOTHING", *args)
    await tx.execute("DELETE FROM ideas_supports WHERE idea_id = $1", source)
    await tx.execute("UPDATE ideas_ideas SET supporters = 0 WHERE id = $1", source)


async def move_comments(tx: Tx, source: int, target: int) -> None:
    await tx.execute("UPDATE ideas_comments SET idea_id = $1 WHERE idea_id = $2", target, source)
    await tx.execute(
        "UPDATE ideas_ideas SET comments ="
        " (SELECT COUNT(*) FROM ideas_comments WHERE idea_id = ideas_ideas.id)"
        " WHERE id IN ($1, $2)", target, source)


async def move_coauthors(tx: Tx, source: int, target: int, exclude: Sequence[int],
                         now: float) -> None:
    args: list[Any] = [target, source, now, *exclude]
    skip = f" AND member_id NOT IN ({_marks(4, len(exclude))})" if exclude else ""
    await tx.execute(
        "INSERT INTO ideas_coauthors (idea_id, member_id, added_at)"
        " SELECT $1, member_id, $3 FROM ideas_coauthors WHERE idea_id = $2" + skip
        + " ON CONFLICT DO NOTHING", *args)


async def relink_member(tx: Tx, community: str, old: int, new: int) -> list[int]:
    """Move a linked account's ideas, supports, co-authorships and feedback; ideas to recount."""
    await tx.execute("UPDATE ideas_ideas SET author_id = $1 WHERE community = $2"
                     " AND author_id = $3", new, community, old)
    touched = [int(r["idea_id"]) for r in await tx.fetch(
        "SELECT s.idea_id FROM ideas_supports s JOIN ideas_ideas i ON i.id = s.idea_id"
        " WHERE s.member_id = $1 AND i.community = $2", old, community)]
    for table, columns in (("ideas_supports", "created_at"), ("ideas_coauthors", "added_at"),
                           ("ideas_feedback", "rating, text, created_at"),
                           ("ideas_credits", "share, credited_by, created_at")):
        picked = ", ".join(f"t.{c.strip()}" for c in columns.split(","))
        await tx.execute(
            f"INSERT INTO {table} (idea_id, member_id, {columns})"
            f" SELECT t.idea_id, $1, {picked} FROM {table} t"
            " JOIN ideas_ideas i ON i.id = t.idea_id WHERE t.member_id = $2"
            " AND i.community = $3 ON CONFLICT DO NOTHING", new, old, community)
        await tx.execute(
            f"DELETE FROM {table} WHERE member_id = $1 AND idea_id IN"
            " (SELECT id FROM ideas_ideas WHERE community = $2)", old, community)
    await tx.execute("DELETE FROM ideas_coauthors WHERE member_id = $1 AND idea_id IN"
                     " (SELECT id FROM ideas_ideas WHERE author_id = $1)", new)
    await tx.execute("UPDATE ideas_comments SET member_id = $1 WHERE member_id = $2 AND idea_id IN"
                     " (SELECT id FROM ideas_ideas WHERE community = $3)", new, old, community)
    return touched


# -- campaigns ------------------------------------------------------------------------------------

_SELECT_CAMPAIGN = (
    "SELECT k.id, k.community, k.name, k.description, k.bounty, k.status, k.closes_at,"
    " k.created_at, k.closed_at, k.room_platform, k.room_id, k.room_name, k.room_guild,"
    " (SELECT COUNT(*) FROM ideas_ideas i WHERE i.campaign_id = k.id) AS ideas"
    " FROM ideas_campaigns k"
)


def _campaign(row: Row) -> CampaignRow:
    return CampaignRow(
        id=int(row["id"]), community=row["community"], name=row["name"],
        description=row["description"], bounty=int(row["bounty"]), status=row["status"],
        closes_at=None if row["closes_at"] is None else float(row["closes_at"]),
        created_at=float(row["created_at"]),
        closed_at=None if row["closed_at"] is None else float(row["closed_at"]),
        room=_room(row), ideas=int(row["ideas"]),
    )


async def campaign_by_name(q: Q, community: str, name: str) -> CampaignRow | None:
    row = await q.fetchrow(_SELECT_CAMPAIGN + " WHERE k.community = $1 AND k.name_key = $2",
                           community, name.casefold())
    return _campaign(row) if row is not None else None


async def campaign_by_id(q: Q, campaign_id: int) -> CampaignRow | None:
    row = await q.fetchrow(_SELECT_CAMPAIGN + " WHERE k.id = $1", campaign_id)
    return _campaign(row) if row is not None else None


async def list_campaigns(q: Q, community: str, limit: int) -> list[CampaignRow]:
    """Open campaigns first (soonest deadline first), then the latest closed ones."""
    rows = await q.fetch(
        _SELECT_CAMPAIGN + " WHERE k.community = $1 ORDER BY"
        " CASE WHEN k.status = 'open' THEN 0 ELSE 1 END,"
        " CASE WHEN k.closes_at IS NULL THEN 1 ELSE 0 END, k.closes_at, k.id DESC LIMIT $2",
        community, limit)
    return [_campaign(r) for r in rows]


async def insert_campaign(tx: Tx, *, community: str, name: str, description: str, bounty: int,
                          closes_at: float | None, created_by: int, room: RoomRef | None,
                          now: float) -> int | None:
    """The new campaign's id, or None when the name is taken in this community."""
    value = await tx.fetchval(
        "INSERT INTO ideas_campaigns (community, name, name_key, description, bounty, closes_at,"
        " created_by, created_at, room_platform, room_id, room_name, room_guild)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (community, name_key) DO NOTHING RETURNING id",
        community, name, name.casefold(), description, bounty, closes_at, created_by, now,
        room.platform if room else None, room.id if room else None,
        room.name if room else None, room.guild if room else None)
    return None if value is None else int(value)


async def close_campaign(tx: Tx, campaign_id: int, now: float) -> bool:
    """open → closed exactly once, however many sweeps or commands race for it."""
    return await tx.execute(
        "UPDATE ideas_campaigns SET status = 'closed', closed_at = $1"
        " WHERE id = $2 AND status = 'open'", now, campaign_id) == 1


async def due_campaigns(q: Q, now: float, skip: Collection[str] = ()) -> list[int]:
    """Open campaigns past their deadline, but not those of the communities in `skip`."""
    rows = await q.fetch("SELECT id, community FROM ideas_campaigns WHERE status = 'open'"
                         " AND closes_at IS NOT NULL AND closes_at <= $1 ORDER BY id", now)
    return [int(r["id"]) for r in rows if r["community"] not in skip]


async def campaign_winners(q: Q, campaign_id: int) -> list[int]:
    """Ids of the campaign's ideas that were accepted (implemented ones were accepted too)."""
    rows = await q.fetch("SELECT id FROM ideas_ideas WHERE campaign_id = $1"
                         " AND status IN ('accepted', 'implemented') ORDER BY number",
                         campaign_id)
    return [int(r["id"]) for r in rows]


# -- operators: export and integrity ---------------------------------------------------------------

async def export_rows(q: Q, community: str) -> dict[str, list[dict[str, Any]]]:
    """The community's ideas data as plain rows for `ruche export`."""
    out: dict[str, list[dict[str, Any]]] = {}
    queries = {
        "ideas_ideas": "SELECT id, number, title, description, status, author_id, anonymous,"
                       " campaign_id, supporters, comments, merged_into, poll_id, reason,"
                       " created_at, updated_at FROM ideas_ideas WHERE community = $1"
                       " ORDER BY number",
        "ideas_campaigns": "SELECT id, name, description, bounty, status, closes_at, created_at,"
                           " closed_at FROM ideas_campaigns WHERE community = $1 ORDER BY id",
        "ideas_comments": "SELECT c.id, i.number, c.member_id, c.text, c.created_at"
                          " FROM ideas_comments c JOIN ideas_ideas i ON i.id = c.idea_id"
                          " WHERE i.community = $1 ORDER BY c.id",
        "ideas_feedback": "SELECT i.number, f.member_id, f.rating, f.text, f.created_at"
                          " FROM ideas_feedback f JOIN ideas_ideas i ON i.id = f.idea_id"
                          " WHERE i.community = $1 ORDER BY i.number, f.member_id",
        "ideas_credits": "SELECT i.number, k.member_id, k.share, k.credited_by, k.created_at"
                         " FROM ideas_credits k JOIN ideas_ideas i ON i.id = k.idea_id"
                         " WHERE i.community = $1 ORDER BY i.number, k.created_at",
    }
    for table, sql in queries.items():
        rows = await q.fetch(sql, community)
        out[table] = [{k: row[k] for k in _keys(row)} for row in rows]
    return out


def _keys(row: Row) -> list[str]:
    keys = getattr(row, "keys", None)
    return list(keys()) if callable(keys) else []


async def integrity_problems(q: Q) -> list[str]:
    """Stored counters that disagree with the rows they count."""
    rows = await q.fetch(
        "SELECT i.community, i.number, i.supporters,"
        " (SELECT COUNT(*) FROM ideas_supports s WHERE s.idea_id = i.id) AS real_supporters,"
        " i.comments,"
        " (SELECT COUNT(*) FROM ideas_comments m WHERE m.idea_id = i.id) AS real_comments"
        " FROM ideas_ideas i WHERE i.supporters <>"
        " (SELECT COUNT(*) FROM ideas_supports s WHERE s.idea_id = i.id) OR i.comments <>"
        " (SELECT COUNT(*) FROM ideas_comments m WHERE m.idea_id = i.id) LIMIT 50")
    return [
        f"ideas: {r['community']} #{r['number']} stores {r['supporters']} supporters /"
        f" {r['comments']} comments but has {r['real_supporters']} / {r['real_comments']}"
        for r in rows
    ]
