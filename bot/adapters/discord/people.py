"""Who a Discord user is (name, bot or not) and what they may do (role), from what we know."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Hashable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord.translate import PLATFORM, Recent, RoleConfig, role_for, room_ref
from bot.model import Role, UserRef

if TYPE_CHECKING:
    from bot.app import Bot

log = logging.getLogger("ruche.discord")

ROLE_TTL = 300.0  # seconds a role seen in a payload stands in for a REST member lookup
CHUNK_WAIT = 5.0  # seconds a gateway member request may take before REST is asked instead


class People:
    """Names and roles: payloads first, discord.py's caches next, the database, then REST.

    A wrong name is worse than a late one: the core renames a member to whatever we pass.
    """

    def __init__(self, bot: Bot, client: discord.Client, roles: RoleConfig,
                 dm_guild_id: int | None) -> None:
        self.bot = bot
        self.client = client
        self.roles = roles
        self.dm_guild_id = dm_guild_id
        self.names: Recent[str, UserRef] = Recent()
        self._roles: Recent[tuple[str, str], tuple[Role, float]] = Recent()

    def apply_roles(self, roles: RoleConfig) -> None:
        """New role ids (config reload): the next role is computed with them, none remembered."""
        self.roles = roles
        self._roles = Recent()

    @property
    def bot_user_id(self) -> str:
        user = self.client.user
        return str(user.id) if user is not None else ""

    def remember(self, user: UserRef) -> None:
        """Keep the name a payload gave, for the events that carry only an id."""
        self.names.put(user.id, user)

    def dm_guild(self) -> str:
        """The guild a DM counts in: configured, else the only guild the bot is in."""
        if self.dm_guild_id:
            return str(self.dm_guild_id)
        guilds = self.client.guilds
        return str(guilds[0].id) if len(guilds) == 1 else ""

    def note_role(self, guild_id: str, user_id: str, role: Role) -> Role:
        """Remember a role computed from a payload, for events that carry none (removals)."""
        self._roles.put((guild_id, user_id), (role, time.monotonic()))
        return role

    def role_in_guild(self, guild_id: str, user_id: str, role_ids: Iterable[int]) -> Role:
        """Role from the member's roles and the guild's cached role permissions."""
        ids = tuple(role_ids)
        guild = self.client.get_guild(int(guild_id)) if guild_id else None
        if guild is None:
            return role_for(0, ids, self.roles)
        bits = guild.default_role.permissions.value
        for rid in ids:
            role = guild.get_role(rid)
            if role is not None:
                bits |= role.permissions.value
        return self.note_role(guild_id, user_id, role_for(
            bits, ids, self.roles, owner=guild.owner_id == int(user_id)))

    def role_names(self, guild_id: str, role_ids: Iterable[int]) -> dict[int, str]:
        """Names of these roles in a cached guild, so `!role map x Curators` matches by name."""
        guild = self.client.get_guild(int(guild_id)) if guild_id.isdigit() else None
        if guild is None:
            return {}
        found = (guild.get_role(rid) for rid in role_ids)
        return {role.id: role.name for role in found if role is not None}

    async def role(self, user_id: str, guild_id: str) -> Role:
        """Role without a payload: recently seen, the member cache, else one REST lookup."""
        known = self._roles.get((guild_id, user_id))
        if known is not None and time.monotonic() - known[1] < ROLE_TTL:
            return known[0]
        guild = self.client.get_guild(int(guild_id)) if guild_id else None
        if guild is None:
            return Role.MEMBER
        member = guild.get_member(int(user_id)) or await self.lookup(guild, int(user_id))
        if member is None:
            return Role.MEMBER
        return self.role_in_guild(guild_id, user_id, [r.id for r in member.roles])

    async def lookup(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        """A member missing from the cache (large guilds arrive without their member list).

        With the members intent, ask the gateway (op 8, answered by a GUILD_MEMBERS_CHUNK and
        cached): it costs no REST quota. Without it, or when the gateway is slow, one REST call.
        """
        if self.client.intents.members:
            try:
                found = await asyncio.wait_for(
                    guild.query_members(user_ids=[user_id], limit=1, cache=True), CHUNK_WAIT)
            except (TimeoutError, discord.ClientException, RuntimeError) as exc:
                log.info("discord: member request for %s failed (%s); asking REST", user_id, exc)
            else:
                return found[0] if found else None  # not found: not a member of this guild
        try:
            return await guild.fetch_member(user_id)
        except discord.HTTPException:
            return None

    async def user(self, user_id: str, guild_id: str = "") -> UserRef:
        """A user known by id only (reaction removals, message authors)."""
        if user_id == self.bot_user_id:
            return UserRef(PLATFORM, user_id, self.client.user.name if self.client.user else "",
                           True)
        known = self.names.get(user_id)
        if known is not None:
            return known
        guild = self.client.get_guild(int(guild_id)) if guild_id else None
        cached = guild.get_member(int(user_id)) if guild else None
        if cached is not None:
            ref = UserRef(PLATFORM, user_id, cached.display_name, cached.bot or cached.system)
        else:
            ref = await self._stored_or_fetched(user_id, guild_id)
        self.remember(ref)
        return ref

    async def _stored_or_fetched(self, user_id: str, guild_id: str) -> UserRef:
        """The name we stored last (it may be a server nickname), else the account's own."""
        guild = guild_id or self.dm_guild()
        if guild:
            community = self.bot.communities.for_room(room_ref(guild, guild))
            member = await self.bot.identity.find(community, PLATFORM, user_id)
            if member is not None:
                return UserRef(PLATFORM, user_id, member.display_name, member.is_bot)
        known = self.client.get_user(int(user_id))
        if known is not None:
            return UserRef(PLATFORM, user_id, known.display_name, known.bot or known.system)
        try:
            fetched = await self.client.fetch_user(int(user_id))
        except discord.HTTPException:
            log.warning("discord: user %s unknown", user_id)
            return UserRef(PLATFORM, user_id, user_id)
        return UserRef(PLATFORM, user_id, fetched.display_name, fetched.bot or fetched.system)


class KeyedLocks:
    """One FIFO lock per key: a member's add-then-remove on a message is handled in order."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
