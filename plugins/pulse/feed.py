"""Events → records: what pulse learns from other plugins' hooks, buffered off the hot path.

Handlers only append to a buffer (they run inside the emitting command's `notify`, so a tip
must not wait for pulse's write); a writer task flushes the buffer in one transaction a few
milliseconds later, and every reader flushes first, so what pulse shows is never behind what
it has been told. Privacy is decided here, once: an anonymous author, a secret ballot or an
idea's rewarded authors are never stored with a member id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from plugins.pulse import store
from plugins.pulse.store import Record, RecordRow, row_of

if TYPE_CHECKING:
    from bot.api import Bot
    from plugins.ideas.models import Idea, IdeaStatusChange
    from plugins.tips.models import LedgerEntry, Tip
    from plugins.votes.models import Poll, PollResult

log = logging.getLogger("ruche.pulse")

#: Ledger reasons shown as recognitions ("rewarded"), besides tips.
REWARD_REASONS = frozenset({"idea_accepted", "idea_implemented", "idea_funded", "campaign_bounty",
                            "activity",
                            "grant"})
#: Rewards paid to an idea's (or a campaign's ideas') authors: the authors may be anonymous,
#: so these are recorded without the member.
AUTHOR_REWARDS = frozenset({"idea_accepted", "idea_implemented", "idea_funded",
                            "campaign_bounty"})
FLUSH_DELAY = 0.02  # seconds a record may wait, so a burst becomes one transaction
FLUSH_SIZE = 500  # records that trigger a flush at once


def _member(account: str) -> int | None:
    kind, _sep, rest = account.partition(":")
    return int(rest) if kind == "member" and rest.isdigit() else None


class Recorder:
    """The buffer of records not yet written, and the task that writes them."""

    def __init__(self, bot: Bot, on_change: Callable[[str], None]) -> None:
        self.bot = bot
        self.on_change = on_change  # told each community that got news (the live hub)
        self.recorded = 0
        self._buffer: list[RecordRow] = []  # rows, not Records: a tip builds one tuple
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- the writer ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pulse:feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if len(self._buffer) < FLUSH_SIZE:
                await asyncio.sleep(FLUSH_DELAY)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("pulse could not write its records", extra={"plugin": "pulse"})

    async def flush(self) -> None:
        """Write what is buffered (readers call this first, so they see every event)."""
        async with self._lock:
            batch, self._buffer = self._buffer, []
            if not batch:
                return
            await store.insert_rows(self.bot.db, batch)
            self.recorded += len(batch)
        for community in dict.fromkeys(row[0] for row in batch):
            self.on_change(community)

    def add(self, record: Record) -> None:
        self._buffer.append(row_of(record))
        self._wake.set()

    # -- events -------------------------------------------------------------------------------

    def idea_submitted(self, idea: Idea) -> None:
        if idea.status == "pending":
            return  # not public until a moderator approves it (then a status change follows)
        self.add(Record(idea.community, "idea", idea.subject, idea.created_at or self.bot.now(),
                        actor=None if idea.anonymous else idea.author_id, number=idea.number,
                        title=idea.title, detail=idea.status))

    def status_changed(self, change: IdeaStatusChange) -> None:
        idea = change.idea
        if change.old == "pending" and change.new != "open":
            return  # it never was public
        # No actor: the member who withdrew an anonymous idea is its author.
        self.add(Record(idea.community, "status", f"{idea.subject}:{change.old}>{change.new}",
                        self.bot.now(), number=idea.number, title=idea.title,
                        detail=change.new))

    def poll_opened(self, poll: Poll) -> None:
        self.add(Record(poll.community, "poll_opened", str(poll.id),
                        poll.created_at or self.bot.now(), number=poll.number,
                        title=poll.question))

    def poll_closed(self, poll: Poll, result: PollResult) -> None:
        winner = ""
        if result.winner is not None and 0 <= result.winner < len(poll.options):
            winner = poll.options[result.winner]
        self.add(Record(poll.community, "poll_closed", str(poll.id),
                        poll.closed_at or self.bot.now(), amount=result.ballots,
                        number=poll.number, title=poll.question, detail=winner))

    def poll_cancelled(self, poll: Poll) -> None:
        self.add(Record(poll.community, "poll_cancelled", str(poll.id), self.bot.now(),
                        number=poll.number, title=poll.question))

    def ledger_entry(self, entry: LedgerEntry) -> None:
        if entry.src == "mint" and entry.dst == "treasury":
            return  # the treasury topping itself up moves nothing between members
        if entry.reason == "tip":
            return  # `on_tip_sent` follows with the same entry: one record per tip
        at = entry.at or self.bot.now()
        self.add(Record(entry.community, "ledger", str(entry.id), at, amount=entry.amount,
                        detail=entry.reason))
        member = _member(entry.dst)
        if entry.reason in REWARD_REASONS and member is not None:
            shown = None if entry.reason in AUTHOR_REWARDS else member
            self.add(Record(entry.community, "reward", str(entry.id), at, target=shown,
                            amount=entry.amount, title=entry.ref or "", detail=entry.reason))

    def tip_sent(self, tip: Tip) -> None:
        # The busiest event: its row directly, without a Record (a frozen dataclass) first.
        entry = tip.entry
        self._buffer.append((entry.community, "tip", str(entry.id), entry.at or self.bot.now(),
                             tip.from_member, tip.to_member, entry.amount, None, "",
                             "reaction" if tip.via_reaction else ""))
        self._wake.set()

    def funding(self, round: Any, state: str) -> None:
        """A funding round opened, succeeded or failed (duck-typed: funding may be absent)."""
        try:
            community, round_id = str(round.community), int(round.id)
            amount = int(round.goal if state == "open" else round.raised)
            number, title = int(round.idea_number), str(round.title)
        except (AttributeError, TypeError, ValueError):
            log.warning("pulse: unexpected funding payload %r", type(round).__name__)
            return
        self.add(Record(community, "funding", f"{round_id}:{state}", self.bot.now(),
                        amount=amount, number=number, title=title, detail=state))

    def ballot(self, community: str, poll_id: int) -> None:
        """A ballot cast or replaced: counted per day, never with its member or choice."""
        self.add(Record(community, "ballot", f"{poll_id}:{uuid.uuid4().hex}", self.bot.now(),
                        number=None))

    def pledge(self, change: Any) -> None:
        """A pledge (or its withdrawal, `unpledge`) on a round, by the round's idea #N."""
        try:
            community, number = str(change.round.community), int(change.round.idea_number)
            amount, withdrawn = int(change.amount), bool(change.withdrawn)
        except (AttributeError, TypeError, ValueError):
            log.warning("pulse: unexpected pledge payload %r", type(change).__name__)
            return
        kind = "unpledge" if withdrawn else "pledge"
        # No member: a round's backers are listed by the funding plugin, not here.
        self.add(Record(community, kind, uuid.uuid4().hex, self.bot.now(), amount=amount,
                        number=number, detail=str(getattr(change.round, "id", ""))))
