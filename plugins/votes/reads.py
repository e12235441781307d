"""Read hooks: other plugins (pulse's dashboard and digests) see polls without our tables.

A mixin of `VotesPlugin`, kept apart from the write paths. Tallies follow the rules members
see in chat: a `--hidden` poll shows nothing until it closes, a cancelled poll has no result,
and ballots never come with who cast them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.api import hookimpl
from plugins.votes import store
from plugins.votes.codec import compute_result, decode_result
from plugins.votes.models import Poll, PollResult
from plugins.votes.service import voter_key

if TYPE_CHECKING:
    from bot.api import Bot

POLL_STATUSES = ("open", "closed", "cancelled")
#: The most polls one `list_polls` call returns, so a caller cannot page the whole table.
MAX_LIST = 200


class VotesReads:
    """`list_polls` and `poll_tally`, answered from the votes tables."""

    @hookimpl
    async def list_polls(self, bot: Bot, community: str, statuses: Sequence[str],
                         limit: int) -> list[Poll]:
        """Open polls soonest deadline first; any other selection newest first."""
        wanted = [s for s in (statuses or POLL_STATUSES) if s in POLL_STATUSES]
        size = max(0, min(int(limit), MAX_LIST))
        if not wanted or size == 0:
            return []
        marks = ", ".join(f"${i + 2}" for i in range(len(wanted)))
        order = "closes_at, number" if wanted == ["open"] else "number DESC"
        rows = await bot.db.fetch(
            f"SELECT {store.POLL_COLUMNS} FROM votes_polls WHERE community = $1"
            f" AND status IN ({marks}) ORDER BY {order} LIMIT ${len(wanted) + 2}",
            community, *wanted, size)
        return [store.poll_from_row(r) for r in rows]

    @hookimpl
    async def poll_tally(self, bot: Bot, poll: Poll) -> PollResult | None:
        """The frozen result of a closed poll, the live tally of an open one, else None."""
        current = await store.get_poll(bot.db, poll.id)
        if current is None or current.status == "cancelled":
            return None
        if current.status == "closed":
            stored = await store.result_of(bot.db, current.id)
            return decode_result(stored) if stored is not None else None
        if current.hidden:
            return None  # members see no tally before the close; neither does anyone else
        return compute_result(current, await store.ballots(bot.db, current.id),
                              await bot.identity.departed(current.community))

    @hookimpl
    async def polls_voted(self, bot: Bot, community: str, member_id: int,
                          poll_ids: Sequence[int]) -> list[int]:
        """The open polls among `poll_ids` where this member voted; a secret poll is checked
        with its key while it is open, so the answer never names anyone else's ballot."""
        wanted = list(dict.fromkeys(int(i) for i in poll_ids))[:MAX_LIST]
        if not wanted:
            return []
        marks = ", ".join(f"${i + 2}" for i in range(len(wanted)))
        rows = await bot.db.fetch(
            f"SELECT id, secret, anonymous FROM votes_polls WHERE community = $1"
            f" AND status = 'open' AND id IN ({marks})", community, *wanted)
        voted = []
        for row in rows:
            if row["anonymous"] and row["secret"] is None:
                continue  # no key any more: nothing can say who voted
            key = voter_key(member_id, row["secret"] if row["anonymous"] else None)
            if await bot.db.fetchval("SELECT 1 FROM votes_ballots WHERE poll_id = $1"
                                     " AND voter = $2", int(row["id"]), key):
                voted.append(int(row["id"]))
        return sorted(voted, key=wanted.index)
