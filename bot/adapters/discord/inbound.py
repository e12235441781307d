"""Gateway dispatches → core events: messages, reactions and joins, each in its own task."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from bot.adapters.discord.people import KeyedLocks
from bot.adapters.discord.translate import (
    LEAVE_EVENTS,
    Recent,
    deletions_from_payload,
    leave_from_payload,
    message_from_payload,
    platform_roles_of,
    reaction_from_payload,
    role_ids_of,
    room_ref,
    user_ref,
)
from bot.model import IncomingMessage, MemberJoin, Role, UserRef

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger("ruche.discord")


class Inbound:
    """Turns raw gateway dispatches into core calls; tasks are tracked for a clean shutdown."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter
        self.tasks: set[asyncio.Task[None]] = set()
        self.authors: Recent[str, UserRef] = Recent()  # message id → author, for reactions
        self.interactions: Recent[str, Mapping[str, Any]] = Recent(1000)
        self._serial = KeyedLocks()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("discord: event handler failed", exc_info=task.exception())

    def event(self, name: str, data: Mapping[str, Any], event_id: str) -> None:
        """Called synchronously in gateway order; the work happens in tasks."""
        if name == "MESSAGE_CREATE":
            self.remember_author(data)
            self.spawn(self.message(data))
        elif name == "MESSAGE_REACTION_ADD":
            self._reaction(data, True, event_id)
        elif name == "MESSAGE_REACTION_REMOVE":
            self._reaction(data, False, event_id)
        elif name == "INTERACTION_CREATE":
            self.interactions.put(str(data.get("id")), data)
        elif name == "GUILD_MEMBER_ADD":
            self.spawn(self.join(data))
        elif name in LEAVE_EVENTS:
            self.spawn(self.leave(name, data))
        elif name in ("MESSAGE_DELETE", "MESSAGE_DELETE_BULK"):
            for deleted in deletions_from_payload(name, data):
                self.spawn(self.adapter.bot.dispatch_deleted(deleted))

    def remember_author(self, d: Mapping[str, Any]) -> None:
        """The author of a message, for the reactions that name only its id."""
        people = self.adapter.people
        author = user_ref(d["author"], d.get("member"), people.bot_user_id)
        self.authors.put(str(d["id"]), author)
        if not d.get("webhook_id"):
            people.remember(author)

    async def message(self, d: Mapping[str, Any], *, read_back: bool = False) -> None:
        """A member's message: role from their roles, mentions made known, then dispatched."""
        adapter = self.adapter
        people = adapter.people
        author = self.authors.get(str(d["id"])) or user_ref(d["author"], None, people.bot_user_id)
        if author.is_bot or d.get("webhook_id") or int(d.get("type") or 0) not in (0, 19):
            return  # bots, webhooks and system messages (joins, pins…) are never commands
        guild_id = str(d.get("guild_id") or "")
        if guild_id and read_back:  # from channel history: REST messages carry no member
            role = await people.role(author.id, guild_id)
        elif guild_id:
            role = people.role_in_guild(guild_id, author.id, role_ids_of(d.get("member")))
        else:
            dm_guild = people.dm_guild()
            role = await people.role(author.id, dm_guild) if dm_guild else Role.MEMBER
        msg = message_from_payload(d, bot_user_id=people.bot_user_id, role=role,
                                   dm_guild=people.dm_guild() if not guild_id else "", raw=d,
                                   role_names=people.role_names(
                                       guild_id, role_ids_of(d.get("member"))))
        await self.register_mentions(msg)
        await adapter.bot.dispatch_message(msg)

    async def register_mentions(self, msg: IncomingMessage) -> None:
        """Mentioned accounts exist on Discord: make them known members so `!tip @x` works."""
        if not msg.mentions:
            return
        bot = self.adapter.bot
        community = bot.communities.for_room(msg.room)
        if not msg.text.lstrip().startswith(community.prefix):
            return
        for user in msg.mentions:
            self.adapter.people.remember(user)
            await bot.identity.member_for(user, community)

    def _reaction(self, d: Mapping[str, Any], added: bool, event_id: str) -> None:
        key = (str(d.get("message_id")), str(d.get("user_id")))
        self.spawn(self.reaction(d, added, event_id, key))

    async def reaction(self, d: Mapping[str, Any], added: bool, event_id: str,
                       key: tuple[str, str]) -> None:
        """Removals carry no member: name and role come from what People has seen."""
        async with self._serial.hold(key):  # first await: tasks take the lock in gateway order
            adapter = self.adapter
            people = adapter.people
            user_id, guild_id = str(d["user_id"]), str(d.get("guild_id") or "")
            member = d.get("member")
            if member and member.get("user"):
                user = user_ref(member["user"], member, people.bot_user_id)
                people.remember(user)
                role = people.role_in_guild(guild_id, user_id, role_ids_of(member))
                ids = role_ids_of(member)
                held = platform_roles_of(ids, people.role_names(guild_id, ids))
            else:
                held = ()
                user = await people.user(user_id, guild_id)
                role = Role.MEMBER if user.is_bot else \
                    await people.role(user_id, guild_id or people.dm_guild())
            if user.is_bot:
                return  # our own poll options, other bots: never ballots or tips
            author_id = d.get("message_author_id")
            author = (await people.user(str(author_id), guild_id) if author_id
                      else self.authors.get(str(d["message_id"])))
            event = reaction_from_payload(d, added=added, user=user, event_id=event_id,
                                          role=role, message_author=author,
                                          platform_roles=held,
                                          dm_guild="" if guild_id else people.dm_guild())
            await adapter.bot.dispatch_reaction(event)

    async def join(self, d: Mapping[str, Any]) -> None:
        """A new member (members intent): known at once, so they can be tipped or mentioned."""
        people = self.adapter.people
        user = user_ref(d["user"], d, people.bot_user_id)
        if user.is_bot:
            return
        people.remember(user)
        guild_id = str(d["guild_id"])
        guild = self.adapter.client.get_guild(int(guild_id))
        channel = guild.system_channel if guild is not None else None
        room = room_ref(str(channel.id) if channel else guild_id, guild_id)
        await self.adapter.bot.dispatch_join(MemberJoin(user, room))

    async def leave(self, name: str, d: Mapping[str, Any]) -> None:
        """A member left, was kicked or banned (members / moderation intents): marked gone."""
        guild_id = str(d.get("guild_id") or "")
        user_id = str((d.get("user") or {}).get("id") or "")
        async with self._serial.hold(("leave", guild_id, user_id)):  # a ban comes with a removal
            guild = self.adapter.client.get_guild(int(guild_id)) if guild_id.isdigit() else None
            channel = guild.system_channel if guild is not None else None
            event = leave_from_payload(name, d, bot_user_id=self.adapter.people.bot_user_id,
                                       channel_id=str(channel.id) if channel else "")
            if event is not None:
                await self.adapter.bot.dispatch_leave(event)

    async def drain(self, within: float) -> None:
        """Let handlers finish (their commands already ran) before the client closes."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=within)
