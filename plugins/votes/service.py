"""The rules of polls and ballots; one instance per bot (tests run several bots at once)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.api import (
    Button,
    Community,
    IntegrityError,
    Member,
    MessageRef,
    OutgoingMessage,
    Tx,
    UserError,
    format_duration,
    one_line,
    translatable,
)
from plugins.votes import ballots, render, spend, store
from plugins.votes.codec import compute_result, decode_result, encode_ballot
from plugins.votes.config import REACTION_LIMIT, VotesConfig
from plugins.votes.live import LiveTally
from plugins.votes.models import (
    MAX_QUORUM,
    METHODS,
    BallotCast,
    Poll,
    PollRequest,
    PollResult,
)

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("votes")
log = logging.getLogger("ruche.votes")

Update = Callable[[str | None], str | None]


def voter_key(member_id: int, secret: str | None) -> str:
    """How a ballot is keyed: the member id, or for secret polls HMAC(member id, poll secret).

    The HMAC keeps one ballot per member while the poll is open; once the secret is deleted
    at close, nothing stored maps a key back to a member."""
    if secret is None:
        return f"m:{member_id}"
    return hmac.new(bytes.fromhex(secret), str(member_id).encode(), hashlib.sha256).hexdigest()


def clean(text: str) -> str:
    """One line of visible text (the core's rule for stored text): polls are shown in chat."""
    return one_line(text)


class VotesService:
    """Opening polls, casting ballots, live tallies; closing lives in closing.py."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.reconciled: set[int] = set()
        self._open: dict[tuple[str, int], Poll] = {}  # open polls by (community, number)
        self._loading: dict[tuple[str, int], asyncio.Future[Poll | None]] = {}
        self._texts: dict[int, str] = {}  # last text shown per poll: identical edits skipped

    @functools.cached_property
    def live(self) -> LiveTally:
        """Made on first use: the plugin (and this service) exists before its config is read."""
        return LiveTally(self.render_live, self.config().tally_edit_interval)

    def config(self, community: str | None = None) -> VotesConfig:
        return self.bot.plugin_config(VotesConfig, community)

    # -- polls ------------------------------------------------------------------------------

    async def open_poll(self, request: PollRequest) -> Poll:
        """Validate, store and announce a poll in `request.room`; UserError on bad input."""
        cfg = self.config(request.community)
        poll = self._new_poll(request, cfg)
        secret = secrets.token_hex(32) if poll.anonymous else None
        for attempt in range(3):
            try:
                pid, number = await self.bot.db.atomic(
                    lambda tx: store.insert_poll(tx, poll, secret))
                break
            except IntegrityError:  # two polls numbered at once (PostgreSQL): take the next
                if attempt == 2:
                    raise
        poll = dataclasses.replace(poll, id=pid, number=number)
        try:
            poll = await self.announce(poll)
        except Exception:  # the poll is stored: a sweep posts its message later
            log.exception("posting poll %s failed", pid, extra={"plugin": "votes"})
        await self.bot.hooks.notify("on_poll_opened", bot=self.bot, poll=poll)
        return poll

    def _new_poll(self, request: PollRequest, cfg: VotesConfig) -> Poll:
        if request.method not in METHODS:
            raise UserError(_("Unknown voting method “{method}” (use {methods}).",
                              method=clean(request.method)[:20], methods=", ".join(METHODS)))
        question = clean(request.question)
        options = tuple(clean(o) for o in request.options)
        if not question:
            raise UserError(_("The poll needs a question."))
        if len(question) > cfg.max_question_length:
            raise UserError(_("The question is too long ({length} characters, at most "
                              "{limit}).", length=len(question), limit=cfg.max_question_length))
        if not 2 <= len(options) <= cfg.max_options:
            raise UserError(_("A poll needs between 2 and {limit} options, in quotes: "
                              "\"Option A\" \"Option B\".", limit=cfg.max_options))
        for option in options:
            if not option:
                raise UserError(_("An option is empty."))
            if len(option) > cfg.max_option_length:
                raise UserError(_("Option “{option}” is too long (at most {limit} characters).",
                                  option=option[:30] + "…", limit=cfg.max_option_length))
        if len({o.casefold() for o in options}) != len(options):
            raise UserError(_("Two options are the same."))
        duration = (cfg.default_duration.total_seconds() if request.duration_seconds is None
                    else float(request.duration_seconds))
        if not (cfg.min_duration.total_seconds() <= duration
                <= cfg.max_duration.total_seconds()):
            raise UserError(_("A poll lasts between {min} and {max}.",
                              min=_duration(cfg.min_duration.total_seconds()),
                              max=_duration(cfg.max_duration.total_seconds())))
        if not 0 <= request.quorum <= MAX_QUORUM:
            raise UserError(_("The quorum must be a whole number of ballots, 0 or more."))
        if request.max_choices is not None:
            if request.method not in ("approval", "ranked"):
                raise UserError(_("--max-choices only applies to approval and ranked polls."))
            if not 1 <= request.max_choices <= len(options):
                raise UserError(_("--max-choices must be between 1 and the number of options "
                                  "({n}).", n=len(options)))
        currency = ""
        credits = 0
        if request.method == "quadratic":
            # A token payment sits in the ledger under the member's name, and its amount
            # would reveal the ballot's cost: secret quadratic polls use voice credits.
            tokens = cfg.quadratic_currency == "tokens" and not request.anonymous
            currency = "tokens" if tokens else "credits"
            credits = cfg.voice_credits
        now = self.bot.now()
        return Poll(
            id=0, community=request.community, number=0, question=question, options=options,
            method=request.method, status="open", subject=request.subject,
            creator_id=request.creator_id, closes_at=now + duration,
            anonymous=request.anonymous, hidden=request.hidden, quorum=request.quorum,
            max_choices=request.max_choices, room=request.room, created_at=now,
            currency=currency, credits=credits,
            score_max=cfg.score_max if request.method == "score" else 0,
        )

    def reaction_ballots(self, poll: Poll) -> bool:
        """Whether reacting 1️⃣…🔟 casts a ballot on this poll.

        Not on secret polls: on every platform, everyone can see who reacted with what."""
        return (poll.method in ("single", "approval") and not poll.anonymous
                and len(poll.options) <= REACTION_LIMIT
                and self.config(poll.community).reactions)

    def _keycaps(self, poll: Poll) -> bool:
        platform = poll.message.platform if poll.message else poll.room.platform \
            if poll.room else ""
        adapter = self.bot.adapters.get(platform)
        return (self.reaction_ballots(poll) and adapter is not None
                and adapter.capabilities.reactions)

    def buttons(self, poll: Poll) -> tuple[Button, ...]:
        """Buttons only where the platform shows them: elsewhere the core would turn them
        into reactions or text, and polls already have their keycaps and usage line."""
        room = poll.message.platform if poll.message else poll.room.platform if poll.room else ""
        adapter = self.bot.adapters.get(room)
        if adapter is None or not adapter.capabilities.buttons:
            return ()
        return render.buttons(poll, self.translate(poll.community))

    async def announce(self, poll: Poll) -> Poll:
        """Post the poll's tally message, remember it, and add the reaction ballots."""
        if poll.room is None or poll.room.platform not in self.bot.adapters:
            log.warning("poll %s has no reachable room", poll.id, extra={"plugin": "votes"})
            return poll
        text = await self.message_text(poll)
        ref = await self.bot.send(poll.room, OutgoingMessage(text, buttons=self.buttons(poll)))
        self._texts[poll.id] = text
        self.reconciled.add(poll.id)  # its reactions all arrive as events from now on
        await store.set_message(self.bot.db, poll.id, ref)
        poll = dataclasses.replace(poll, message=ref)
        self._remember(poll)
        if self._keycaps(poll):
            for emoji in render.KEYCAPS[:len(poll.options)]:
                await self.bot.react(ref, emoji)
        return poll

    async def get(self, community: str, number: int, *, fresh: bool = False) -> Poll:
        """Poll #number of a community, or a UserError naming it.

        Open polls are cached for ballots (only their status changes, and every ballot write
        checks it in the database); concurrent misses share one query, so a burst costs one
        read. `fresh` reads the database (what another process may have closed)."""
        key = (community, number)
        cached = None if fresh else self._open.get(key)
        if cached is not None:
            return cached
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(store.find_poll(self.bot.db, community, number))
            self._loading[key] = loading
            loading.add_done_callback(lambda _f: self._loading.pop(key, None))
        poll = await asyncio.shield(loading)
        if poll is None:
            raise UserError(_("There is no poll #{number}.", number=number))
        self._remember(poll)
        return poll

    def _remember(self, poll: Poll) -> None:
        if poll.is_open and poll.message is not None:
            if len(self._open) > 1000:
                self._open.clear()
            self._open[(poll.community, poll.number)] = poll

    def forget(self, poll: Poll) -> None:
        """The poll ended: stop serving it from the open-poll cache."""
        self._open.pop((poll.community, poll.number), None)

    async def may_manage(self, poll: Poll, member: Member, community: Community) -> bool:
        """Close and cancel: the poll's creator, or a moderator (`votes.manage`)."""
        if poll.creator_id is not None and poll.creator_id == member.id:
            return True
        return await self.bot.permissions.allowed(member, "votes.manage", community)

    # -- ballots ----------------------------------------------------------------------------

    async def weight(self, poll: Poll, member_id: int) -> int:
        """`ballot_weight` (first answer; ours says 1), checked: a bad plugin answer counts 1."""
        value = await self.bot.hooks.first("ballot_weight", bot=self.bot, poll=poll,
                                           member_id=member_id)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            log.warning("ballot_weight returned %r; counting 1", value,
                        extra={"plugin": "votes"})
            return 1
        return value

    def parse(self, poll: Poll, words: Sequence[str]) -> str:
        """The stored form of a `!vote` ballot, or a UserError (nothing is written)."""
        ballot = ballots.parse(poll.method, words, poll.options,
                               max_choices=poll.max_choices, score_max=poll.score_max,
                               credits=poll.credits)
        return encode_ballot(poll.method, ballot)

    async def write(self, poll: Poll, member_id: int, update: Update, *, source: str,
                    weight: int = 1, extra: Callable[[Tx], Awaitable[None]] | None = None
                    ) -> tuple[str | None, str | None]:
        """The ballot write: ONE atomic op, so the storage layer can group-commit a burst.

        `update(previous choice or None)` returns the new choice, or None to withdraw.
        Returns (previous, new). Raises UserError if the poll is not open."""
        now = self.bot.now()

        async def op(tx: Tx) -> tuple[str | None, str | None]:
            row = await store.claim_open(tx, poll.id, now)
            if row is None:
                raise UserError(_("Poll #{number} is closed.", number=poll.number))
            if poll.anonymous and row["secret"] is None:
                raise UserError(_("Poll #{number} is closed.", number=poll.number))
            voter = voter_key(member_id, row["secret"] if poll.anonymous else None)
            previous_row = await store.get_ballot(tx, poll.id, voter)
            previous = None if previous_row is None else str(previous_row["choice"])
            new = update(previous)
            if new is None:
                if previous is not None:
                    await store.delete_ballot(tx, poll.id, voter)
            else:
                await store.upsert_ballot(
                    tx, poll.id, voter, None if poll.anonymous else member_id, new, weight,
                    source, None if poll.anonymous else now)
            if extra is not None:
                await extra(tx)
            return previous, new

        return await self.bot.db.atomic(op)

    async def cast(self, poll: Poll, member: Member, words: Sequence[str]) -> bool:
        """A `!vote`: parse, weigh, write (replacing any earlier ballot). True if replaced."""
        choice = self.parse(poll, words)
        weight = await self.weight(poll, member.id)
        if poll.currency == "tokens":
            previous = await spend.cast_paid(self, poll, member.id, choice, weight)
        else:
            previous, _new = await self.write(poll, member.id, lambda _prev: choice,
                                              source="command", weight=weight)
        await self.ballot_changed(poll, member.id, withdrawn=False)
        return previous is not None

    async def withdraw(self, poll: Poll, member: Member) -> None:
        """`!unvote`: remove the member's ballot (refunding quadratic tokens)."""
        def remove(previous: str | None) -> None:
            if previous is None:
                raise UserError(_("You have no ballot on poll #{number}.", number=poll.number))
            return None

        if poll.currency == "tokens":
            await spend.withdraw_paid(self, poll, member.id, remove)
        else:
            await self.write(poll, member.id, remove, source="command")
        await self.ballot_changed(poll, member.id, withdrawn=True)

    async def ballot_changed(self, poll: Poll, member_id: int, *, withdrawn: bool) -> None:
        """After the commit: tell other plugins, and schedule a live-tally edit."""
        await self.bot.hooks.notify(
            "on_ballot_cast", bot=self.bot,
            ballot=BallotCast(poll, None if poll.anonymous else member_id, withdrawn))
        self.live.touch(poll.id)

    # -- results and messages -----------------------------------------------------------------

    async def result(self, poll: Poll) -> PollResult:
        """The frozen result of a closed poll, else the current tally."""
        if poll.status == "closed":
            stored = await store.result_of(self.bot.db, poll.id)
            if stored is not None:
                return decode_result(stored)
        return compute_result(poll, await store.ballots(self.bot.db, poll.id),
                              await self.bot.identity.departed(poll.community))

    async def departed(self, poll_id: int) -> set[int]:
        """Members of the poll's community who left: their ballots do not make the quorum."""
        poll = await store.get_poll(self.bot.db, poll_id)
        return set() if poll is None else await self.bot.identity.departed(poll.community)

    def translate(self, community: str) -> render.Translate:
        locale = self.bot.communities.get(community).locale
        return lambda text: self.bot.i18n.translate(text, locale)

    async def message_text(self, poll: Poll) -> str:
        """The tally message as it should read now."""
        result = None if poll.status == "cancelled" else await self.result(poll)
        community = self.bot.communities.get(poll.community)
        return render.poll_message(
            poll, result, result.ballots if result else 0, self.translate(poll.community),
            tz=self.bot.config.bot.timezone, prefix=community.prefix,
            keycaps=self._keycaps(poll))

    async def render_live(self, poll_id: int) -> None:
        """Edit the poll's message to its current state (skipped when nothing changed).

        Platforms without edits get no live tally (a new message every 2 s would be spam):
        they see the poll message, then the result posted at close."""
        state = await store.revision(self.bot.db, poll_id)
        poll = await store.get_poll(self.bot.db, poll_id)
        if state is None or poll is None or poll.message is None:
            return
        adapter = self.bot.adapters.get(poll.message.platform)
        if adapter is None:
            return
        if adapter.capabilities.edits:
            text = await self.message_text(poll)  # read after `state`: at least as new
            if self._texts.get(poll_id) != text:
                await self.bot.edit(poll.message,
                                    OutgoingMessage(text, buttons=self.buttons(poll)))
                self._texts[poll_id] = text
        await store.set_shown_revision(self.bot.db, poll_id, state[0])

    async def message_deleted(self, ref: MessageRef) -> Poll | None:
        """An open poll's message was deleted: posted again (ballots stay, the poll goes on).

        Returns the poll re-posted, None when the message was no open poll's."""
        poll = await store.poll_by_message(self.bot.db, ref)
        if poll is None or not poll.is_open:
            return None  # a closed poll's result was posted apart; nothing to restore
        self.forget(poll)
        self._texts.pop(poll.id, None)
        log.info("poll %s: its message was deleted, posting it again", poll.id,
                 extra={"plugin": "votes"})
        return await self.announce(poll)

    async def poll_for_message(self, ref: MessageRef) -> Poll | None:
        return await store.poll_by_message(self.bot.db, ref)


def _duration(seconds: float) -> str:
    return format_duration(timedelta(seconds=seconds))
