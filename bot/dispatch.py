"""From adapter events to hooks and commands: filtering, de-duplication, members, routing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.commands.context import Context
from bot.commands.router import unavailable_text
from bot.i18n import translatable
from bot.model import (
    IncomingMessage,
    MemberJoin,
    MemberLeave,
    MessageDeleted,
    OutgoingMessage,
    ReactionEvent,
    RoomMoved,
)
from bot.storage.db import DatabaseUnavailable, DuplicateEvent, EventMark, unavailable_cause

if TYPE_CHECKING:
    from bot.app import Bot

_ = translatable("core")
log = logging.getLogger("ruche.dispatch")

MAX_COMMAND_LENGTH = 4000
DELETED_REMEMBERED = 10_000  # deleted message ids kept in memory (a late delivery is dropped)
LEAVE_REASONS = ("left", "kicked", "banned")


class Dispatcher:
    """Every adapter calls these methods; the rest of the core never sees raw events."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.accepting = True
        #: (platform, message id) of messages deleted before (or while) they were handled.
        self._deleted: dict[tuple[str, str], None] = {}

    def _enter(self) -> None:
        self._inflight += 1
        self._idle.clear()

    def _leave(self) -> None:
        self._inflight -= 1
        if self._inflight == 0:
            self._idle.set()

    async def drain(self, grace: float = 30.0) -> None:
        """Stop taking events and wait for the ones in flight (graceful shutdown)."""
        self.accepting = False
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            log.warning("shutdown: %d event(s) still running after %.0fs", self._inflight, grace)

    async def _fresh(self, platform: str, event_id: str) -> EventMark | bool:
        """False for a replayed event; else its pending de-dup mark (True: not de-duplicated).

        No durable write here: the mark commits with the event's first write, or batched
        later for an event that writes nothing (docs/reliability.md, "Replayed events")."""
        adapter = self.bot.adapters.get(platform)
        if adapter is None or not getattr(adapter, "dedupe_events", True) or not event_id:
            return True
        return await self.bot.db.begin_event(platform, event_id) or False

    def _settle(self, mark: EventMark | bool, handled: bool) -> None:
        """The event is done: its mark, if no write carried it, goes to a batched commit."""
        if isinstance(mark, EventMark):
            mark.db.end_event(mark, handled=handled)

    async def message(self, msg: IncomingMessage) -> None:
        """A message: bots ignored, replays dropped, commands routed, the rest to on_message."""
        if not self.accepting or msg.author.is_bot:
            return
        self._enter()
        fresh: EventMark | bool = False
        handled = False
        try:
            if (msg.ref.platform, msg.ref.id) in self._deleted:
                log.info("message %s was deleted before it was handled: ignored", msg.ref.id,
                         extra={"platform": msg.ref.platform})
            else:
                fresh = await self._fresh(msg.ref.platform, msg.ref.id)
                if fresh:
                    await self._route(msg, "message")
            handled = True
        except DuplicateEvent:
            handled = True  # a concurrent delivery of the same event got there first
        except Exception as exc:
            unavailable = unavailable_cause(exc)
            if unavailable is None:
                handled = True
                raise
            await self._unreachable(msg, unavailable)
        finally:
            self._settle(fresh, handled)
            self._leave()

    async def backlog(self, missed: Sequence[tuple[IncomingMessage, float]],
                      max_age: float) -> list[IncomingMessage]:
        """Which of one room's missed messages to handle after downtime, oldest first.

        `missed` is what the adapter read back (oldest first, with each message's time, at
        most its count bound). Only the messages after the last one already handled count
        (the replay marks say which); of those, the ones older than `max_age` seconds are
        not answered, and a command among them is logged."""
        if not missed:
            return []
        platform = missed[0][0].ref.platform
        seen = await self.bot.db.seen_events(platform, [m.ref.id for m, _at in missed])
        start = 0
        for index, (msg, _at) in enumerate(missed):
            if msg.ref.id in seen:
                start = index + 1
        oldest = self.bot.now() - max_age
        chosen: list[IncomingMessage] = []
        for msg, at in missed[start:]:
            if msg.author.is_bot:
                continue
            if at < oldest:
                if self._is_command(msg):
                    log.info("catch-up: command %s in room %s is older than the bound: "
                             "not answered", msg.ref.id, msg.room.id,
                             extra={"platform": platform})
                continue
            chosen.append(msg)
        return chosen

    def _is_command(self, msg: IncomingMessage) -> bool:
        """The text starts with its community's prefix and something after it."""
        prefix = self.bot.communities.for_room(msg.room).prefix
        text = msg.text.strip()
        return text.startswith(prefix) and len(text) > len(prefix)

    async def _unreachable(self, msg: IncomingMessage, exc: DatabaseUnavailable) -> None:
        """The database failed before the command ran: commands get the outage reply, chat none."""
        log.warning("message from %s dropped: database unreachable", msg.ref.platform,
                    exc_info=exc, extra={"platform": msg.ref.platform})
        community = self.bot.communities.for_room(msg.room)
        text = msg.text.strip()
        if not text.startswith(community.prefix) or len(text) <= len(community.prefix):
            return
        reply = self.bot.i18n.translate(unavailable_text(exc), community.locale)
        await self.bot.send(msg.room, OutgoingMessage(reply, reply_to=msg.ref))

    async def _route(self, msg: IncomingMessage, kind: str) -> None:
        """A fresh message from a human: to the command router, else to on_message.

        `kind` is "message" or "click" (a reaction standing in for a button); an ignored
        member's are dropped here, before anything runs, without a reply."""
        bot = self.bot
        community = bot.communities.for_room(msg.room)
        member = await bot.identity.member_for(msg.author, community, msg.role,
                                               platform_roles=msg.platform_roles, room=msg.room)
        await bot.identity.returned(msg.author, community)
        prefix = community.prefix
        text = msg.text.strip()
        is_command = text.startswith(prefix) and len(text) > len(prefix) and not text[
            len(prefix)
        ].isspace()
        if bot.ignores.drops(member):
            await bot.ignores.dropped(member, kind if kind == "click" or not is_command
                                      else "command")
            return
        if is_command:
            ctx = Context(bot, msg, community, member, bot.adapters[msg.ref.platform])
            if len(text) > MAX_COMMAND_LENGTH:
                await ctx.reply(_("That command is too long ({length} characters, at most "
                                  "{limit}).", length=len(text), limit=MAX_COMMAND_LENGTH))
                return
            await bot.router.dispatch(ctx, text[len(prefix):])
        else:
            await bot.hooks.notify("on_message", bot=bot, message=msg, community=community,
                                   member=member, _skip=bot.switches.disabled(community.id))

    async def reaction(self, event: ReactionEvent) -> None:
        """A reaction from a human member, de-duplicated, to the on_reaction hook."""
        if not self.accepting or event.user.is_bot:
            return
        self._enter()
        fresh: EventMark | bool = False
        handled = False
        try:
            fresh = await self._fresh(event.message.platform, event.event_id)
            if fresh:
                await self._reaction(event)
            handled = True
        except DuplicateEvent:
            handled = True
        except Exception as exc:
            if unavailable_cause(exc) is None:
                handled = True
                raise
            log.warning("reaction dropped: database unreachable", exc_info=exc,
                        extra={"platform": event.message.platform})
        finally:
            self._settle(fresh, handled)
            self._leave()

    async def _reaction(self, event: ReactionEvent) -> None:
        """A fresh reaction: a click (button reaction) or an on_reaction event."""
        community = self.bot.communities.for_room(event.room)
        if event.added:
            command = await self.bot.button_reactions.command_for(event)
            if command is not None:  # a reaction standing in for a button: a click
                click = self.bot.button_reactions.as_message(event, command, community.prefix)
                await self._route(click, "click")
                return
        member = await self.bot.identity.member_for(event.user, community, event.role,
                                                    platform_roles=event.platform_roles,
                                                    room=event.room)
        if event.added:
            await self.bot.identity.returned(event.user, community)
        if self.bot.ignores.drops(member):
            await self.bot.ignores.dropped(member, "reaction")
            return
        await self.bot.hooks.notify("on_reaction", bot=self.bot, event=event,
                                    community=community, member=member,
                                    _skip=self.bot.switches.disabled(community.id))

    async def join(self, event: MemberJoin) -> None:
        """A member joined a room: registered at once so they can be mentioned."""
        if not self.accepting or event.user.is_bot:
            return
        self._enter()
        try:
            community = self.bot.communities.for_room(event.room)
            member = await self.bot.identity.member_for(event.user, community)
            if await self.bot.identity.returned(event.user, community):
                log.info("member %s is back in %s", member.id, community.id,
                         extra={"platform": event.room.platform})
            await self.bot.hooks.notify("on_member_join", bot=self.bot, event=event,
                                        community=community, member=member,
                                        _skip=self.bot.switches.disabled(community.id))
        except Exception as exc:
            if unavailable_cause(exc) is None:
                raise
            log.warning("member join dropped: database unreachable", exc_info=exc)
        finally:
            self._leave()

    async def leave(self, event: MemberLeave) -> None:
        """A member left, was kicked or banned: marked gone (data kept), then on_member_leave."""
        if not self.accepting or event.user.is_bot:
            return
        self._enter()
        try:
            community = self.bot.communities.for_room(event.room)
            reason = event.reason if event.reason in LEAVE_REASONS else "left"
            member = await self.bot.identity.left(event.user, community, reason)
            if member is None:
                return  # never met, or still present through a linked account
            log.info("member %s %s %s", member.id, reason, community.id,
                     extra={"platform": event.room.platform})
            await self.bot.hooks.notify("on_member_leave", bot=self.bot, event=event,
                                        community=community, member=member,
                                        _skip=self.bot.switches.disabled(community.id))
        except Exception as exc:
            if unavailable_cause(exc) is None:
                raise
            log.warning("member leave dropped: database unreachable", exc_info=exc)
        finally:
            self._leave()

    async def deleted(self, event: MessageDeleted) -> None:
        """A message was deleted or redacted: a command not yet handled never runs, and
        plugins hear of it (a poll whose message was deleted posts it again)."""
        if not self.accepting:
            return
        key = (event.message.platform, event.message.id)
        self._deleted[key] = None
        if len(self._deleted) > DELETED_REMEMBERED:
            del self._deleted[next(iter(self._deleted))]
        self._enter()
        mark: EventMark | bool = False
        try:
            # Its id counts as handled from now on: a late or replayed delivery is dropped,
            # after a restart too (the mark is committed like a read-only command's).
            mark = await self._fresh(event.message.platform, event.message.id)
            log.info("message %s deleted", event.message.id,
                     extra={"platform": event.message.platform})
            community = self.bot.communities.for_room(event.room)
            await self.bot.hooks.notify("on_message_deleted", bot=self.bot, event=event,
                                        community=community,
                                        _skip=self.bot.switches.disabled(community.id))
        except Exception as exc:
            if unavailable_cause(exc) is None:
                raise
            log.warning("message deletion dropped: database unreachable", exc_info=exc)
        finally:
            self._settle(mark, True)
            self._leave()

    async def room_moved(self, event: RoomMoved) -> None:
        """A room was upgraded: its successor belongs to the same community, data untouched."""
        community_id = await self.bot.communities.move_room(event.old, event.new)
        log.warning("room %s:%s was replaced by %s: it stays in community %s; put %s:%s in "
                    "[communities.%s] rooms of the config file", event.old.platform,
                    event.old.id, event.new.id, community_id, event.new.platform, event.new.id,
                    community_id, extra={"platform": event.old.platform})
