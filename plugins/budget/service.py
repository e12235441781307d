"""The budget rules members meet: opening a budget, supporting ideas, withdrawing support.

A budget is a snapshot of the community's ideas in one status (accepted by default) with a
cost each, taken at `!budget open` through the ideas plugin's `latest_ideas` read hook and,
for costs, funding's `list_funding_rounds`; support rows change only while it is open (checked
in the same op as the write, so a close never races a late ballot). Closing is in closing.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.api import (
    Community,
    Currency,
    Member,
    RoomRef,
    Tx,
    UserError,
    format_duration,
    translatable,
)
from plugins.budget import money, store
from plugins.budget.config import BudgetConfig
from plugins.budget.store import BudgetIdea

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("budget")

METHODS = ("approval", "points")


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """What `!budget open` asks for, already parsed."""

    community: Community
    member: Member
    total: int
    deadline: float
    status: str = "accepted"
    method: str = "approval"
    costs: Mapping[int, int] = field(default_factory=dict)  # idea number → cost
    room: RoomRef | None = None


@dataclass(frozen=True, slots=True)
class Opened:
    """A budget just opened: its id, the ideas it covers, and the ideas left out (no cost)."""

    round_id: int
    ideas: tuple[BudgetIdea, ...]
    without_cost: tuple[int, ...]


class BudgetService:
    """One per bot: the rules and the per-budget locks."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._locks: dict[int, asyncio.Lock] = {}

    def config(self, community: str | None = None) -> BudgetConfig:
        return self.bot.plugin_config(BudgetConfig, community)

    def lock(self, round_id: int) -> asyncio.Lock:
        """The lock of one budget: closing and paying take turns on it in this process."""
        return self._locks.setdefault(round_id, asyncio.Lock())

    async def currency(self, community: str) -> Currency:
        found = await money.currency(self.bot, community)
        if found is None:
            raise money.unavailable()
        return found

    async def display_currency(self, community: str) -> Currency:
        return await money.currency(self.bot, community) or Currency()

    async def active(self, community: str) -> int:
        """The budget in progress, or a refusal that says there is none."""
        round_id = await store.active_round_id(self.bot.db, community)
        if round_id is None:
            raise UserError(_("No budget is open."))
        return round_id

    # -- opening ------------------------------------------------------------------------------

    async def open(self, req: OpenRequest) -> Opened:
        """Open the community's budget over its ideas in `req.status`, if the treasury has it."""
        community = req.community.id
        cfg = self.config(community)
        cur = await self.currency(community)
        now = float(self.bot.now())
        if req.total > cfg.max_total:
            raise UserError(_("A budget is at most {max}.", max=cur.fmt(cfg.max_total)))
        span = req.deadline - now
        if not cfg.min_duration.total_seconds() <= span <= cfg.max_duration.total_seconds():
            raise UserError(_("A budget lasts between {min} and {max}.",
                              min=format_duration(cfg.min_duration),
                              max=format_duration(cfg.max_duration)))
        if await store.active_round_id(self.bot.db, community) is not None:
            raise _already_open()
        balance = await money.treasury(self.bot, community)
        if balance is None:
            raise money.unavailable()
        if balance < req.total:
            raise UserError(_("The treasury holds {balance}: a budget of {total} cannot be "
                              "opened.", balance=cur.fmt(balance), total=cur.fmt(req.total)))
        ideas, without = await self._priced_ideas(req, cfg)
        if not ideas:
            raise UserError(_("No idea of the budget has a cost: give them with --costs "
                              "NUMBER:COST,… or open funding rounds for them."))

        async def op(tx: Tx) -> int | None:
            round_id = await store.insert_round(
                tx, community=community, total=req.total, method=req.method,
                points=cfg.points if req.method == "points" else 0, opened_by=req.member.id,
                now=now, deadline=req.deadline, room=req.room)
            if round_id is not None:
                await store.insert_ideas(tx, round_id, ideas)
            return round_id

        round_id = await self.bot.db.atomic(op)
        if round_id is None:
            raise _already_open()
        await self.bot.audit.record(
            community, req.member, "budget.open",
            f"budget {round_id}: {req.total} over {len(ideas)} ideas ({req.method})")
        return Opened(round_id, tuple(ideas), tuple(without))

    async def _priced_ideas(self, req: OpenRequest,
                            cfg: BudgetConfig) -> tuple[list[BudgetIdea], list[int]]:
        """The ideas in `req.status` with their cost: the one given at open, else what the
        idea's open funding round still lacks; ideas with neither are left out."""
        community = req.community.id
        found = await self.bot.hooks.first_safe("latest_ideas", bot=self.bot,
                                                community=community, statuses=[req.status],
                                                limit=cfg.max_ideas)
        if not isinstance(found, list):
            raise UserError(_("Budgets need the ideas plugin, which is not available here."))
        ideas = [i for i in found if getattr(i, "community", None) == community
                 and getattr(i, "status", None) == req.status]
        numbers = {int(i.number) for i in ideas}
        for number in sorted(req.costs):
            if number not in numbers:
                raise UserError(_("Idea #{number} is not among the budget's ideas (the newest "
                                  "{limit} ideas in this status).", number=number,
                                  limit=cfg.max_ideas))
        lacking: dict[int, int] = {}
        rounds = await self.bot.hooks.first_safe("list_funding_rounds", bot=self.bot,
                                                 community=community, states=("open",))
        for r in rounds if isinstance(rounds, list) else ():
            lacking[int(r.idea_id)] = max(0, int(r.goal) - int(r.raised))
        priced: list[BudgetIdea] = []
        without: list[int] = []
        for idea in sorted(ideas, key=lambda i: int(i.number)):
            cost = req.costs.get(int(idea.number)) or lacking.get(int(idea.id), 0)
            if cost <= 0:
                without.append(int(idea.number))
                continue
            priced.append(BudgetIdea(int(idea.id), int(idea.number), str(idea.title), cost,
                                     int(idea.author_id), bool(idea.anonymous)))
        return priced, without

    # -- supporting ---------------------------------------------------------------------------

    async def support(self, community: Community, member: Member,
                      choice: Sequence[tuple[int, int | None]]) -> dict[int, int]:
        """Replace the member's support by `choice` ((number, points or None) pairs): a set
        of ideas (approval) or points spread over ideas (points). Returns number → points."""
        if member.is_bot:
            raise UserError(_("Bots cannot support ideas."))
        round_id = await self.active(community.id)
        row = await store.round_row(self.bot.db, round_id)
        assert row is not None
        by_number = {int(r["number"]): int(r["idea_id"])
                     for r in await store.ideas(self.bot.db, round_id)}
        wanted = _validate(choice, row["method"], int(row["points"]), by_number)
        now = float(self.bot.now())

        async def op(tx: Tx) -> None:
            if not await store.guard_open(tx, round_id, now):
                raise _closed()
            await store.replace_support(tx, round_id, member.id,
                                        {by_number[n]: p for n, p in wanted.items()})

        await self.bot.db.atomic(op)
        return wanted

    async def withdraw(self, community: Community, member: Member) -> None:
        """Take the member's whole support back while the budget is open."""
        round_id = await self.active(community.id)
        now = float(self.bot.now())

        async def op(tx: Tx) -> None:
            if not await store.guard_open(tx, round_id, now):
                raise _closed()
            if not await store.member_support(tx, round_id, member.id):
                raise UserError(_("You support no idea of this budget."))
            await store.replace_support(tx, round_id, member.id, {})

        await self.bot.db.atomic(op)


def _validate(choice: Sequence[tuple[int, int | None]], method: str, points: int,
              by_number: Mapping[int, int]) -> dict[int, int]:
    """Every refusal before anything is written: unknown or repeated ideas, the wrong form
    for the method, points that are not positive or exceed the member's allowance."""
    wanted: dict[int, int] = {}
    for number, value in choice:
        if number not in by_number:
            raise UserError(_("Idea #{number} is not in this budget.", number=number))
        if number in wanted:
            raise UserError(_("Idea #{number} is named twice.", number=number))
        if method == "approval":
            if value is not None:
                raise UserError(_("This budget counts approvals: name the ideas you support, "
                                  "e.g. 3 7, without points."))
            wanted[number] = 1
        else:
            if value is None:
                raise UserError(_("This budget counts points: give IDEA:POINTS, e.g. 3:5 7:2."))
            if value < 1:
                raise UserError(_("Points are whole numbers of at least 1."))
            wanted[number] = value
    if method == "points" and sum(wanted.values()) > points:
        raise UserError(_("You have {points} points to spread; you gave {given}.",
                          points=points, given=sum(wanted.values())))
    return wanted


def remaining(deadline: float, now: float) -> timedelta:
    """Time left before a deadline, never negative (a due budget waits for the sweep)."""
    return timedelta(seconds=max(0.0, deadline - now))


def _already_open() -> UserError:
    return UserError(_("A budget is already open here: close it before opening another."))


def _closed() -> UserError:
    return UserError(_("The budget is closed: support can no longer change."))
