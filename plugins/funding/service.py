"""The funding rules members meet: opening a round, pledging and withdrawing a pledge.

Every pledge is an intent first (`pending` row, committed), then the ledger movement through
the tips plugin (idempotent on its ref), then `confirmed`: a crash in between leaves a row the
sweep re-drives (`settlement.py`). Work on one round is serialised in this process by a lock,
so a command and a sweep never drive the same row at once; other processes are kept apart by
the database (conditional UPDATEs) and by `recovery_grace`.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.api import (
    Community,
    Currency,
    IntegrityError,
    Member,
    RoomRef,
    Row,
    Tx,
    UserError,
    format_duration,
    translatable,
)
from plugins.funding import known_ideas, money, movements, store
from plugins.funding.config import FundingConfig
from plugins.funding.models import FundingRound, PledgeChange, Tier
from plugins.funding.store import KnownIdea
from plugins.ideas.models import status_label

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("funding")

MODERATE = "funding.moderate"


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """What `!fund open` asks for, already parsed."""

    community: Community
    member: Member
    number: int
    goal: int
    duration: timedelta | None = None
    tiers: tuple[Tier, ...] = ()
    stretch: tuple[Tier, ...] = ()
    cap: int = 0
    wallet: str | None = None  # a ledger account named by a moderator
    room: RoomRef | None = None


class FundingService:
    """One per bot: the rules, the per-round locks, and round lookups."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = \
            weakref.WeakValueDictionary()

    def config(self, community: str | None = None) -> FundingConfig:
        return self.bot.plugin_config(FundingConfig, community)

    def lock(self, round_id: int) -> asyncio.Lock:
        """The lock of one round: pledges, withdrawals and settlement take turns on it."""
        found = self._locks.get(round_id)
        if found is None:
            found = asyncio.Lock()
            self._locks[round_id] = found
        return found

    async def currency(self, community: str) -> Currency:
        found = await money.currency(self.bot, community)
        if found is None:
            raise money.unavailable()
        return found

    async def display_currency(self, community: str) -> Currency:
        """For showing rounds: the currency, or bare numbers without the tips plugin."""
        return await money.currency(self.bot, community) or Currency()

    async def is_moderator(self, member: Member, community: Community) -> bool:
        return await self.bot.permissions.allowed(member, MODERATE, community)

    # -- reading rounds -----------------------------------------------------------------------

    async def round(self, round_id: int) -> FundingRound | None:
        row = await store.round_row(self.bot.db, round_id)
        if row is None:
            return None
        if row["outcome"] is None and row["state"] in store.ACTIVE_STATES:
            raised, backers = await store.confirmed_totals(self.bot.db, round_id)
        else:
            raised, backers = int(row["raised"]), int(row["backers"])
        return store.round_of(row, raised, backers)

    async def rounds(self, community: str, states: Sequence[str], limit: int,
                     offset: int = 0) -> list[FundingRound]:
        if not states:
            return []
        ids = await store.list_round_ids(self.bot.db, community, states, limit, offset)
        found = [await self.round(i) for i in ids]
        return [r for r in found if r is not None]

    async def idea(self, community: str, number: int) -> KnownIdea:
        idea = await store.idea_by_number(self.bot.db, community, number)
        if idea is None:
            raise UserError(_("Idea #{number} has no funding round.", number=number))
        return idea

    async def active(self, community: str, number: int) -> FundingRound:
        """The round in progress of idea #number, or a refusal that says why there is none."""
        idea = await self.idea(community, number)
        round_id = await store.active_round_id(self.bot.db, community, idea.id)
        found = await self.round(round_id) if round_id is not None else None
        if found is None:
            raise UserError(_("Idea #{number} has no funding round in progress.",
                              number=number))
        return found

    async def latest(self, community: str, number: int) -> FundingRound:
        idea = await self.idea(community, number)
        round_id = await store.latest_round_id(self.bot.db, community, idea.id)
        found = await self.round(round_id) if round_id is not None else None
        if found is None:
            raise UserError(_("Idea #{number} has no funding round.", number=number))
        return found

    # -- opening ------------------------------------------------------------------------------

    async def open_round(self, req: OpenRequest) -> FundingRound:
        """Open a round for an idea in a fundable status, by its author or a moderator."""
        community = req.community.id
        cfg = self.config(community)
        cur = await self.currency(community)
        idea = await known_ideas.find(self.bot, community, req.number, cfg.fundable_statuses)
        if idea is None:
            raise UserError(_("Idea #{number} is not known to funding yet: show it once with "
                              "{prefix}idea show {number}.", number=req.number,
                              prefix=req.community.prefix))
        if idea.status not in cfg.fundable_statuses:
            raise UserError(_("Only accepted ideas can be funded; idea #{number} is {status}.",
                              number=idea.number,
                              status=status_label(idea.status)))
        moderator = await self.is_moderator(req.member, req.community)
        if req.member.id not in idea.authors and not moderator:
            raise UserError(_("Only the idea's authors or a moderator can open its funding "
                              "round."))
        if req.wallet is not None and not moderator:
            raise UserError(_("Only a moderator can choose the wallet of a round."))
        self._check_terms(cfg, cur, req)
        now = float(self.bot.now())
        duration = req.duration or cfg.default_duration
        wallet = req.wallet or money.member_account(idea.author_id)

        async def op(tx: Tx) -> int | None:
            return await store.insert_round(
                tx, community=community, idea=idea, goal=req.goal, cap=req.cap,
                tiers=req.tiers, stretch=req.stretch, wallet=wallet, opened_by=req.member.id,
                now=now, deadline=now + duration.total_seconds(), room=req.room,
                hidden_wallet=idea.anonymous and wallet == money.member_account(idea.author_id))

        round_id = await self.bot.db.atomic(op)
        if round_id is None:
            raise UserError(_("Idea #{number} already has a funding round in progress.",
                              number=idea.number))
        opened = await self.round(round_id)
        assert opened is not None
        if moderator and (req.member.id not in idea.authors or req.wallet is not None):
            await self.bot.audit.record(
                community, req.member, "funding.open",
                f"round {round_id} for idea #{idea.number}: goal {req.goal}, wallet {wallet}")
        await self.bot.hooks.notify("on_funding_opened", bot=self.bot, round=opened)
        return opened

    @staticmethod
    def _check_terms(cfg: FundingConfig, cur: Currency, req: OpenRequest) -> None:
        if req.goal > cfg.max_goal:
            raise UserError(_("A goal is at most {max}.", max=cur.fmt(cfg.max_goal)))
        if req.duration is not None and not cfg.min_duration <= req.duration <= cfg.max_duration:
            raise UserError(_("A round lasts between {min} and {max}.",
                              min=format_duration(cfg.min_duration),
                              max=format_duration(cfg.max_duration)))
        if req.stretch and req.stretch[0].amount <= req.goal:
            raise UserError(_("Stretch goals must be above the goal of {goal}.",
                              goal=cur.fmt(req.goal)))
        if len(req.tiers) > cfg.max_tiers or len(req.stretch) > cfg.max_tiers:
            raise UserError(_("At most {limit} tiers or stretch goals.", limit=cfg.max_tiers))

    # -- pledging -----------------------------------------------------------------------------

    async def pledge(self, community: Community, member: Member, number: int,
                     amount: int) -> PledgeChange:
        """Escrow `amount` of the member's tokens for idea #number's round, within the cap."""
        cur = await self.currency(community.id)
        if member.is_bot:
            raise UserError(_("Bots cannot pledge."))
        current = await self.active(community.id, number)
        round_id = current.id
        async with self.lock(round_id):
            now = float(self.bot.now())

            async def reserve(tx: Tx) -> tuple[int, str, int]:
                if not await store.guard_open(tx, round_id, now):
                    raise _ended(number)
                pledged, busy, seq = await store.member_state(tx, round_id, member.id)
                if busy:
                    raise _busy(number)
                if current.cap and pledged + amount > current.cap:
                    raise UserError(_(
                        "Each member may pledge at most {cap} to this round; you pledged "
                        "{pledged}, so at most {left} more.", cap=cur.fmt(current.cap),
                        pledged=cur.fmt(pledged), left=cur.fmt(max(0, current.cap - pledged))))
                ref = money.pledge_ref(round_id, member.id, seq + 1)
                pledge_id = await store.insert_pledge(
                    tx, round_id=round_id, community=community.id, member_id=member.id,
                    seq=seq + 1, amount=amount, src=money.member_account(member.id),
                    reason=money.PLEDGE, ref=ref, now=now)
                return pledge_id, ref, pledged

            try:
                pledge_id, ref, before = await self.bot.db.atomic(reserve)
            except IntegrityError:  # the same member pledging from another process
                raise _busy(number) from None
            try:
                done = await money.transfer(
                    self.bot, community.id, money.member_account(member.id),
                    money.escrow_account(round_id), amount, money.PLEDGE, ref,
                    f"idea #{number}")
            except UserError:  # short: nothing moved, so nothing of this pledge remains
                await store.delete_pending(self.bot.db, pledge_id)
                raise
            if not done:
                await store.delete_pending(self.bot.db, pledge_id)
                raise money.unavailable()
            await store.set_state(self.bot.db, pledge_id, "pending", "confirmed",
                                  float(self.bot.now()))
        after = await self.round(round_id)
        assert after is not None
        change = PledgeChange(after, member.id, amount, before + amount)
        await self.bot.hooks.notify("on_pledge", bot=self.bot, pledge=change)
        return change

    async def unpledge(self, community: Community, member: Member,
                       number: int) -> tuple[PledgeChange, bool]:
        """Refund the member's whole pledge before the deadline; (change, refunded now)."""
        current = await self.active(community.id, number)
        round_id = current.id
        async with self.lock(round_id):
            now = float(self.bot.now())

            async def withdraw(tx: Tx) -> list[int]:
                if not await store.guard_open(tx, round_id, now):
                    raise UserError(_("The funding round of idea #{number} has ended: pledges "
                                      "can no longer be withdrawn.", number=number))
                _pledged, busy, _seq = await store.member_state(tx, round_id, member.id)
                if busy:
                    raise _busy(number)
                rows = await store.pledges(tx, round_id, ("confirmed",), member.id)
                if not rows:
                    raise UserError(_("You have no pledge on idea #{number}.", number=number))
                await store.set_round_states(tx, round_id, "confirmed", "refunding", now,
                                             member.id)
                return [int(r["id"]) for r in rows]

            ids = await self.bot.db.atomic(withdraw)
            total, complete = 0, True
            for pledge_id in ids:
                row = await store.pledge_row(self.bot.db, pledge_id)
                assert row is not None
                total += int(row["amount"])
                complete = await movements.refund(self.bot, row) and complete
        after = await self.round(round_id)
        assert after is not None
        change = PledgeChange(after, member.id, total, 0, withdrawn=True)
        await self.bot.hooks.notify("on_pledge", bot=self.bot, pledge=change)
        return change, complete


    # -- the treasury's share --------------------------------------------------------------------

    async def credit_from_treasury(self, community: str, idea_id: int, amount: int,
                                   reason: str, ref: str, memo: str = "") -> FundingRound | None:
        """Pledge `amount` from the treasury to the idea's open round, once per `ref`: a pledge
        like a member's (counted toward the goal, released to the wallet on success), except
        that a failed or cancelled round gives it back to the treasury. Returns the round (a
        replay returns it without moving anything); None if there is no open round, or if
        (reason, ref) already moved tokens elsewhere in the ledger: then nothing moved here.
        UserError (nothing moved) when the treasury is short or tips is unavailable."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError(f"amount must be a positive int, not {amount!r}")
        if not reason or not ref:
            raise ValueError("reason and ref are required (they make the credit idempotent)")
        db = self.bot.db
        row = await store.pledge_by_ref(db, ref)
        round_id = int(row["round_id"]) if row is not None \
            else await store.active_round_id(db, community, idea_id)
        if round_id is None:
            return None
        async with self.lock(round_id):
            row = await store.pledge_by_ref(db, ref)
            if row is None:
                row = await self._reserve_treasury(community, round_id, amount, reason, ref)
                if row is None:
                    return None
            if row["state"] == "pending" and not await self._confirm_treasury(row, memo):
                return None
        return await self.round(round_id)

    async def _reserve_treasury(self, community: str, round_id: int, amount: int, reason: str,
                                ref: str) -> Row | None:
        """The treasury pledge's intent row, if the round still takes pledges."""
        now = float(self.bot.now())

        async def reserve(tx: Tx) -> int | None:
            if not await store.guard_open(tx, round_id, now):
                return None
            _pledged, _busy, seq = await store.member_state(tx, round_id, money.TREASURY_MEMBER)
            return await store.insert_pledge(
                tx, round_id=round_id, community=community, member_id=money.TREASURY_MEMBER,
                seq=seq + 1, amount=amount, src=money.TREASURY, reason=reason, ref=ref, now=now)

        try:
            pledge_id = await self.bot.db.atomic(reserve)
        except IntegrityError:  # the same ref reserved by another process: theirs stands
            return await store.pledge_by_ref(self.bot.db, ref)
        return None if pledge_id is None else await store.pledge_row(self.bot.db, pledge_id)

    async def _confirm_treasury(self, row: Row, memo: str) -> bool:
        """Move a pending treasury pledge into the escrow and confirm it; False (row dropped)
        when its (reason, ref) had already paid someone else."""
        pledge_id, escrow = int(row["id"]), money.escrow_account(int(row["round_id"]))
        try:
            entry = await money.transfer_entry(self.bot, row["community"], money.TREASURY,
                                               escrow, int(row["amount"]), row["reason"],
                                               row["ref"], memo)
        except UserError:  # short, or vetoed: nothing moved, so nothing of it remains
            await store.delete_pending(self.bot.db, pledge_id)
            raise
        if entry is None:
            await store.delete_pending(self.bot.db, pledge_id)
            raise money.unavailable()
        if getattr(entry, "dst", escrow) != escrow:
            await store.delete_pending(self.bot.db, pledge_id)
            return False
        await store.set_state(self.bot.db, pledge_id, "pending", "confirmed",
                              float(self.bot.now()))
        return True


def _ended(number: int) -> UserError:
    return UserError(_("The funding round of idea #{number} is closed.", number=number))


def _busy(number: int) -> UserError:
    return UserError(_("Your previous pledge on idea #{number} is still being recorded; try "
                       "again in a moment.", number=number))
