"""A loopback fake of Discord's REST API and gateway, for the real discord.py client.

One aiohttp app on 127.0.0.1 (port 0). It keeps guilds, channels, messages, interactions and
sessions in memory, records every request, echoes the bot's own messages and reactions on the
gateway as Discord does, replays missed events on RESUME (optionally redelivering some the
client already had, to exercise de-duplication) and serves injected 429s the way discord.py
expects them (a `Via` header and a JSON `retry_after`). See shared/recipes/discord-loopback.md.

It refuses what Discord refuses: content over 2,000 characters (400, 50035), an interaction
answered after 3 s (404, 10062) or followed up after its 15-minute token (401, 50027), more
sends or edits per channel than a configured bucket allows (429 with `retry_after` and the
`X-RateLimit-*` headers), sending where a channel denies it (403, 50013), and gateway sessions
it is told to end (close codes 4004/4014, `INVALID_SESSION`, withheld heartbeat ACKs). Large
guilds arrive without their member list, which the client asks for with op 8.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

API = "/api/v10"
BOT_ID = 900000000000000001
APP_ID = BOT_ID
GUILD_ID = 800000000000000001
OTHER_GUILD_ID = GUILD_ID + (1 << 22)  # lands on the other of two shards
CHANNEL_ID = 810000000000000001
EVERYONE_PERMS = 0x400 | 0x800 | 0x40 | 0x10000  # view, send, add reactions, read history
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
MOD_ROLE_ID = 820000000000000001  # "Moderators": Manage Server
ADMIN_ROLE_ID = 820000000000000002  # "Admins": Administrator
HELPER_ROLE_ID = 820000000000000003  # no permission; configured as a moderator role by tests
TIMESTAMP = "2026-11-25T12:00:00.000000+00:00"
MESSAGE_LIMIT = 2000  # characters of `content`
INTERACTION_DEADLINE = 3.0  # seconds to send the initial response
TOKEN_LIFETIME = 15 * 60.0  # seconds an interaction token accepts follow-ups and edits
DISCORD_EPOCH_MS = 1_420_070_400_000  # snowflake time 0
CHUNK_SIZE = 1000  # members per GUILD_MEMBERS_CHUNK
BODY = web.RequestKey("body", object)
FILES = web.RequestKey("files", list)


def dumps(payload: Any) -> str:
    """Compact JSON, as Discord sends it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    """discord.py compares Content-Type literally: no `; charset=utf-8` (pitfall 3)."""
    return web.Response(body=dumps(payload).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


def error(status: int, code: int, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status)


def form_error(errors: dict[str, Any]) -> web.Response:
    """Discord's 400 for a bad body: `errors` nests field → `_errors` (discord.py flattens it)."""
    return json_response({"code": 50035, "message": "Invalid Form Body", "errors": errors}, 400)


def too_long(body: Any, key: str = "content") -> web.Response | None:
    """The 400 Discord answers to content over 2,000 characters, or None when it fits."""
    content = body.get(key) if isinstance(body, dict) else None
    if isinstance(content, str) and len(content) > MESSAGE_LIMIT:
        return form_error({key: {"_errors": [{
            "code": "BASE_TYPE_MAX_LENGTH",
            "message": f"Must be {MESSAGE_LIMIT} or fewer in length."}]}})
    return None


#: The locales Discord accepts as keys of `*_localizations`.
DISCORD_LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi",
    "th", "zh-CN", "ja", "zh-TW", "ko",
})


def valid_name(name: Any) -> bool:
    """Discord's rule for chat-input names: ^[-_\\p{L}\\p{N}]{1,32}$, lowercase where it can be."""
    return (isinstance(name, str) and 1 <= len(name) <= 32 and name == name.lower()
            and all(c in "-_" or unicodedata.category(c)[0] in "LN" for c in name))


def without_localizations(items: Any) -> Any:
    """Commands as Discord lists them by default: no `*_localizations` dictionaries."""
    if isinstance(items, list):
        return [without_localizations(i) for i in items]
    if isinstance(items, dict):
        return {k: without_localizations(v) for k, v in items.items()
                if k not in ("name_localizations", "description_localizations")}
    return items


def command_problems(items: Any, where: str) -> list[str]:
    """What Discord would refuse in a list of commands or options: bad or duplicate names."""
    problems: list[str] = []
    seen: dict[str, set[str]] = {}
    for i, item in enumerate(items or ()):
        if not isinstance(item, dict):
            continue
        at = f"{where}{i}"
        names = {"": item.get("name")}
        for locale, name in (item.get("name_localizations") or {}).items():
            if locale not in DISCORD_LOCALES:
                problems.append(f"{at}.name_localizations: unknown locale {locale!r}")
            names[locale] = name
        for locale, description in (item.get("description_localizations") or {}).items():
            if locale not in DISCORD_LOCALES:
                problems.append(f"{at}.description_localizations: unknown locale {locale!r}")
            if not isinstance(description, str) or not 1 <= len(description) <= 100:
                problems.append(f"{at}.description_localizations.{locale}: 1-100 characters")
        for locale, name in names.items():
            if not valid_name(name):
                problems.append(f"{at}.name ({locale or 'default'}): invalid {name!r}")
        for locale in DISCORD_LOCALES | {""}:
            effective = names.get(locale, names[""])
            if effective in seen.setdefault(locale, set()):
                problems.append(f"{at}.name ({locale or 'default'}): duplicate {effective!r}")
            seen[locale].add(effective)
        problems.extend(command_problems(item.get("options"), f"{at}.options."))
    return problems


@dataclass
class Recorded:
    """One REST request as the bot made it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[tuple[str, bytes]] = field(default_factory=list)
    at: float = 0.0


@dataclass
class RateLimit:
    """Serve `count` 429s to requests matching method and path."""

    method: str
    path: re.Pattern[str]
    retry_after: float
    count: int = 1
    is_global: bool = False


@dataclass
class Bucket:
    """A per-channel limit on sends or edits: `limit` requests per `per` seconds."""

    limit: int
    per: float
    headers: bool = True  # False: as when another process spent the bucket (429s only)
    hits: list[float] = field(default_factory=list)
    refused: int = 0

    def take(self, now: float) -> float:
        """0 when the request may go (counted), else the seconds until it may."""
        self.hits = [t for t in self.hits if now - t < self.per]
        if len(self.hits) >= self.limit:
            self.refused += 1
            return self.hits[0] + self.per - now
        self.hits.append(now)
        return 0.0

    def most_in_window(self, times: list[float]) -> int:
        """The most requests any `per`-second window held (what the bot actually sent)."""
        return max((sum(1 for u in times if t <= u < t + self.per) for t in times), default=0)


@dataclass
class Session:
    """A gateway session: its events with their sequence numbers, kept for RESUME."""

    id: str
    shard: tuple[int, int]
    seq: int = 0
    events: list[tuple[int, str]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None


@dataclass
class Interaction:
    """An interaction the fake sent, and what the bot answered through it."""

    id: int
    token: str
    payload: dict[str, Any]
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] | None = None
    deleted_original: bool = False
    responded_at: float | None = None
    created_at: float = field(default_factory=time.monotonic)


class FakeDiscord:
    """Discord for one test: start(), drive events, assert on what the bot sent, stop()."""

    def __init__(self, *, shard_count: int = 1) -> None:
        self.shard_count = shard_count
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self.port = 0
        self.requests: list[Recorded] = []
        self.rate_limits: list[RateLimit] = []
        self.served_429: list[float] = []
        self.users: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.members: dict[tuple[int, int], dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.edits: list[dict[str, Any]] = []
        self.reactions: list[tuple[int, str]] = []  # (message id, emoji) added by the bot
        self.message_reactions: dict[int, dict[str, list[str]]] = {}  # message → emoji → users
        self.interactions: dict[int, Interaction] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.sessions: dict[str, Session] = {}
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.redeliver = 0  # on RESUME, also resend this many events the client already had
        self.dm_closed: set[int] = set()
        self.forbidden: set[int] = set()  # channels where the bot may not send (403 50013)
        self.buckets: dict[tuple[str, int], Bucket] = {}  # (method, channel) → limit
        self.refused: list[Recorded] = []  # requests refused with 400/401/403/404 by a rule
        self.interaction_deadline = INTERACTION_DEADLINE
        self.token_lifetime = TOKEN_LIFETIME
        self.heartbeat_interval = 41250  # ms, sent in HELLO
        self.ack_heartbeats = True  # False: a zombie connection (heartbeats go unanswered)
        self.heartbeats = 0
        self.close_on_identify: int | None = None  # e.g. 4004 (bad token), 4014 (intents)
        self.chunk_requests: list[dict[str, Any]] = []
        self.large: set[int] = set()  # guilds whose GUILD_CREATE carries no member list
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self.bot_user = self.add_user("Ruche", user_id=BOT_ID, bot=True)
        self.add_guild(GUILD_ID, "Hive", owner_id=self.add_user("owner").get("id"))

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 2**20)
        self._routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}/gateway-ws"

    def next_id(self) -> int:
        return next(self._ids)

    def _touch(self) -> None:
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], Any], within: float = 5.0) -> Any:
        """Poll the fake's state until `predicate()` is truthy (the bot works asynchronously)."""
        deadline = time.monotonic() + within
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {within:.1f}s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 0.05)
            except TimeoutError:
                pass

    # -- world ----------------------------------------------------------------------------------

    def add_user(self, name: str, *, user_id: int | None = None, bot: bool = False
                 ) -> dict[str, Any]:
        uid = user_id or self.next_id()
        user = {"id": str(uid), "username": name, "discriminator": "0", "global_name": name,
                "avatar": None, "bot": bot}
        self.users[uid] = user
        return user

    def add_guild(self, guild_id: int, name: str, *, owner_id: str | None = None,
                  channel_id: int | None = None) -> dict[str, Any]:
        roles = [
            self._role(guild_id, "@everyone", EVERYONE_PERMS, 0),
            self._role(MOD_ROLE_ID if guild_id == GUILD_ID else self.next_id(), "Moderators",
                       MANAGE_GUILD, 1),
            self._role(ADMIN_ROLE_ID if guild_id == GUILD_ID else self.next_id(), "Admins",
                       ADMINISTRATOR, 2),
            self._role(HELPER_ROLE_ID if guild_id == GUILD_ID else self.next_id(), "Helpers",
                       0, 3),
        ]
        cid = channel_id or (CHANNEL_ID if guild_id == GUILD_ID else self.next_id())
        channel = {"id": str(cid), "type": 0, "name": "general", "position": 0,
                   "guild_id": str(guild_id), "permission_overwrites": [], "nsfw": False,
                   "parent_id": None, "topic": None, "last_message_id": None,
                   "rate_limit_per_user": 0}
        self.channels[cid] = channel
        guild = {"id": str(guild_id), "name": name, "owner_id": owner_id or str(BOT_ID),
                 "roles": roles, "channels": [channel], "icon": None, "splash": None,
                 "features": [], "emojis": [], "stickers": [], "member_count": 2,
                 "large": False, "unavailable": False, "joined_at": TIMESTAMP, "threads": [],
                 "voice_states": [], "presences": [], "members": [], "premium_tier": 0,
                 "verification_level": 0, "default_message_notifications": 0,
                 "explicit_content_filter": 0, "mfa_level": 0, "nsfw_level": 0,
                 "system_channel_id": str(cid), "afk_channel_id": None, "afk_timeout": 300,
                 "preferred_locale": "en-US", "vanity_url_code": None, "description": None,
                 "banner": None, "max_members": 1000, "premium_subscription_count": 0,
                 "application_id": None, "rules_channel_id": None,
                 "public_updates_channel_id": None, "discovery_splash": None,
                 "system_channel_flags": 0, "stage_instances": [], "incidents_data": None,
                 "guild_scheduled_events": [], "soundboard_sounds": [],
                 "max_video_channel_users": 25}
        self.guilds[guild_id] = guild
        self.add_member(guild_id, self.bot_user)
        return guild

    @staticmethod
    def _role(role_id: int, name: str, perms: int, position: int) -> dict[str, Any]:
        return {"id": str(role_id), "name": name, "permissions": str(perms),
                "position": position, "color": 0, "hoist": False,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None}, "managed": False,
                "mentionable": False, "flags": 0, "icon": None, "unicode_emoji": None}

    def add_member(self, guild_id: int, user: dict[str, Any], roles: list[int] | None = None,
                   nick: str | None = None) -> dict[str, Any]:
        member = {"user": user, "roles": [str(r) for r in roles or []], "nick": nick,
                  "joined_at": TIMESTAMP, "deaf": False, "mute": False, "flags": 0,
                  "avatar": None, "premium_since": None, "pending": False}
        self.members[(guild_id, int(user["id"]))] = member
        guild = self.guilds[guild_id]
        guild["members"] = [m for m in guild["members"] if m["user"]["id"] != user["id"]]
        guild["members"].append(member)
        return member

    def member_perms(self, guild_id: int, user_id: int) -> int:
        guild = self.guilds[guild_id]
        if guild["owner_id"] == str(user_id):
            return (1 << 41) - 1
        member = self.members.get((guild_id, user_id), {"roles": []})
        bits = EVERYONE_PERMS
        for role in guild["roles"]:
            if role["id"] in member["roles"]:
                bits |= int(role["permissions"])
        if bits & ADMINISTRATOR:
            return (1 << 41) - 1
        return bits

    def person(self, name: str, *, guild_id: int = GUILD_ID, roles: list[int] | None = None,
               bot: bool = False) -> dict[str, Any]:
        """A user who is a member of the guild (the common case in tests)."""
        user = self.add_user(name, bot=bot)
        self.add_member(guild_id, user, roles)
        return user

    def shard_of(self, guild_id: int | None) -> int:
        return 0 if not guild_id else (guild_id >> 22) % self.shard_count

    # -- gateway --------------------------------------------------------------------------------

    def live_session(self, shard: int = 0) -> Session | None:
        found = [s for s in self.sessions.values() if s.shard[0] == shard]
        return found[-1] if found else None

    async def dispatch(self, name: str, data: dict[str, Any], *, guild_id: int | None = None
                       ) -> int:
        """Send a dispatch on the shard owning the guild; kept for RESUME if not connected."""
        shard = self.shard_of(guild_id if guild_id is not None else
                              int(data["guild_id"]) if data.get("guild_id") else None)
        session = self.live_session(shard)
        if session is None:
            raise RuntimeError(f"no gateway session on shard {shard}")
        session.seq += 1
        frame = dumps({"t": name, "s": session.seq, "op": 0, "d": data})
        session.events.append((session.seq, frame))
        if session.ws is not None and not session.ws.closed:
            await session.ws.send_str(frame)
        self._touch()
        return session.seq

    async def drop(self, shard: int = 0, code: int = 4000) -> None:
        """Close the connection as Discord does on an outage (4000: resumable)."""
        session = self.live_session(shard)
        if session is not None and session.ws is not None:
            ws, session.ws = session.ws, None
            await ws.close(code=code)

    async def reconnect(self, shard: int = 0) -> None:
        """Op 7: Discord asks the client to reconnect and resume."""
        session = self.live_session(shard)
        if session is not None and session.ws is not None:
            await session.ws.send_str(dumps({"op": 7, "d": None, "s": None, "t": None}))

    async def invalidate(self, shard: int = 0, *, resumable: bool = True) -> None:
        """Op 9 INVALID_SESSION: `d=true` lets the client resume, `false` makes it identify."""
        session = self.live_session(shard)
        if session is not None and session.ws is not None:
            await session.ws.send_str(dumps({"op": 9, "d": resumable, "s": None, "t": None}))

    def connected(self, shard: int = 0) -> bool:
        session = self.live_session(shard)
        return session is not None and session.ws is not None and not session.ws.closed

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_str(dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval},
                                 "s": None, "t": None}))
        session: Session | None = None
        async for msg in ws:
            if msg.type.name != "TEXT":
                continue
            payload = json.loads(msg.data)
            op = payload.get("op")
            if op == 1:
                self.heartbeats += 1
                if self.ack_heartbeats:
                    await ws.send_str(dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                if self.close_on_identify is not None:
                    self.identifies.append(payload["d"])
                    await ws.close(code=self.close_on_identify)
                    break
                session = await self._identify(ws, payload["d"])
            elif op == 6:
                session = await self._resume(ws, payload["d"])
            elif op == 8 and session is not None:
                await self._chunk(session, payload["d"])
        if session is not None and session.ws is ws:
            session.ws = None
        self._touch()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session:
        self.identifies.append(d)
        shard = tuple(d.get("shard") or (0, 1))
        session = Session(secrets.token_hex(8), (int(shard[0]), int(shard[1])))
        self.sessions[session.id] = session
        session.ws = ws
        guilds = [g for gid, g in self.guilds.items() if self.shard_of(gid) == session.shard[0]]
        ready = {"v": 10, "user": self.bot_user, "session_id": session.id,
                 "resume_gateway_url": self.ws_url, "shard": list(session.shard),
                 "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
                 "application": {"id": str(APP_ID), "flags": 0}, "private_channels": []}
        await self._send(session, "READY", ready)
        for guild in guilds:
            await self._send(session, "GUILD_CREATE", self._guild_create(guild))
        self._touch()
        return session

    def _guild_create(self, guild: dict[str, Any]) -> dict[str, Any]:
        """A large guild comes without its members (but the bot's own): the client chunks."""
        if int(guild["id"]) not in self.large:
            return guild
        return {**guild, "large": True, "member_count": len(guild["members"]),
                "members": [m for m in guild["members"] if m["user"]["id"] == str(BOT_ID)]}

    def make_large(self, guild_id: int = GUILD_ID) -> None:
        """Serve this guild as Discord serves guilds over the `large_threshold`."""
        self.large.add(guild_id)

    async def _chunk(self, session: Session, d: dict[str, Any]) -> None:
        """Op 8 REQUEST_GUILD_MEMBERS → GUILD_MEMBERS_CHUNKs of up to 1,000 members each."""
        self.chunk_requests.append(d)
        guild_id = int(d["guild_id"])
        members = self.guilds[guild_id]["members"]
        not_found: list[str] = []
        if d.get("user_ids") is not None:
            wanted = [str(u) for u in d["user_ids"]]
            found = [m for m in members if m["user"]["id"] in wanted]
            not_found = [u for u in wanted if u not in {m["user"]["id"] for m in found}]
        else:
            query = str(d.get("query") or "").lower()
            found = [m for m in members if m["user"]["username"].lower().startswith(query)]
            if int(d.get("limit") or 0):
                found = found[:int(d["limit"])]
        pages = [found[i:i + CHUNK_SIZE] for i in range(0, len(found), CHUNK_SIZE)] or [[]]
        for index, page in enumerate(pages):
            chunk: dict[str, Any] = {"guild_id": str(guild_id), "members": page,
                                     "chunk_index": index, "chunk_count": len(pages)}
            if index == 0 and not_found:
                chunk["not_found"] = not_found
            if d.get("nonce"):
                chunk["nonce"] = d["nonce"]
            await self._send(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _send(self, session: Session, name: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = dumps({"t": name, "s": session.seq, "op": 0, "d": data})
        session.events.append((session.seq, frame))
        if session.ws is not None:
            await session.ws.send_str(frame)

    async def _resume(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session | None:
        self.resumes.append(d)
        session = self.sessions.get(d.get("session_id", ""))
        if session is None:
            await ws.send_str(dumps({"op": 9, "d": False, "s": None, "t": None}))
            return None
        session.ws = ws
        since = int(d.get("seq") or 0) - self.redeliver
        for seq, frame in session.events:
            if seq > since:
                await ws.send_str(frame)
        session.seq += 1
        await ws.send_str(dumps({"t": "RESUMED", "s": session.seq, "op": 0, "d": {}}))
        self._touch()
        return session

    # -- driving the bot ------------------------------------------------------------------------

    def _member_payload(self, guild_id: int | None, user: dict[str, Any]
                        ) -> dict[str, Any] | None:
        if guild_id is None:
            return None
        member = self.members.get((guild_id, int(user["id"])))
        if member is None:
            return None
        return {k: v for k, v in member.items() if k != "user"}

    def message_payload(self, user: dict[str, Any], content: str, *,
                        channel_id: int = CHANNEL_ID, guild_id: int | None = GUILD_ID,
                        mentions: list[dict[str, Any]] | None = None,
                        message_id: int | None = None, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(message_id or self.next_id()), "channel_id": str(channel_id), "type": 0,
            "content": content, "author": user, "timestamp": TIMESTAMP,
            "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "flags": 0, "components": [],
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
            member = self._member_payload(guild_id, user)
            if member is not None:
                data["member"] = member
        for mentioned in mentions or []:
            entry = dict(mentioned)
            member = self._member_payload(guild_id, mentioned)
            if member is not None:
                entry["member"] = member
            data["mentions"].append(entry)
        data.update(extra)
        return data

    async def say(self, user: dict[str, Any], content: str, **kwargs: Any) -> dict[str, Any]:
        """A member writes in a channel (MESSAGE_CREATE); returns the payload."""
        data = self.message_payload(user, content, **kwargs)
        self.messages[int(data["id"])] = data
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    def said_offline(self, user: dict[str, Any], content: str, *, at: float,
                     **kwargs: Any) -> dict[str, Any]:
        """A member writes while the bot is away: stored (history has it), no gateway event.

        `at` (epoch seconds) becomes the message id's timestamp, as Discord's snowflakes do."""
        message_id = (int((at * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._ids) & 0x3FFFFF)
        stamp = datetime.fromtimestamp(at, UTC).isoformat()
        data = self.message_payload(user, content, message_id=message_id, timestamp=stamp,
                                    **kwargs)
        self.messages[message_id] = data
        return data

    async def remove_member(self, user: dict[str, Any], *, guild_id: int = GUILD_ID,
                            banned: bool = False) -> None:
        """A member leaves or is kicked (GUILD_MEMBER_REMOVE); a ban sends GUILD_BAN_ADD first."""
        self.members.pop((guild_id, int(user["id"])), None)
        guild = self.guilds[guild_id]
        guild["members"] = [m for m in guild["members"] if m["user"]["id"] != user["id"]]
        if banned:
            await self.dispatch("GUILD_BAN_ADD", {"guild_id": str(guild_id), "user": user},
                                guild_id=guild_id)
        await self.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(guild_id), "user": user},
                            guild_id=guild_id)

    async def delete_message(self, message_id: int | str, *, channel_id: int = CHANNEL_ID,
                             guild_id: int | None = GUILD_ID) -> None:
        """Someone deletes a message (MESSAGE_DELETE: ids only, as Discord sends it)."""
        self.messages.pop(int(message_id), None)
        data: dict[str, Any] = {"id": str(message_id), "channel_id": str(channel_id)}
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        await self.dispatch("MESSAGE_DELETE", data, guild_id=guild_id)

    async def dm(self, user: dict[str, Any], content: str) -> dict[str, Any]:
        channel = self._dm_channel(user)
        return await self.say(user, content, channel_id=int(channel["id"]), guild_id=None)

    def reaction_payload(self, user: dict[str, Any], message_id: int | str, emoji: str, *,
                         added: bool = True, channel_id: int = CHANNEL_ID,
                         guild_id: int | None = GUILD_ID) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": user["id"], "channel_id": str(channel_id),
            "message_id": str(message_id), "emoji": {"id": None, "name": emoji},
            "burst": False, "type": 0,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
            if added:
                member = self.members.get((guild_id, int(user["id"])))
                if member is not None:
                    data["member"] = member
        if added:
            author = (self.messages.get(int(message_id)) or {}).get("author")
            if author is not None:
                data["message_author_id"] = author["id"]
            data["burst_colors"] = []
        return data

    def _track_reaction(self, message_id: int, emoji: str, user_id: str, added: bool) -> None:
        users = self.message_reactions.setdefault(message_id, {}).setdefault(emoji, [])
        if added and user_id not in users:
            users.append(user_id)
        elif not added and user_id in users:
            users.remove(user_id)

    async def react(self, user: dict[str, Any], message_id: int | str, emoji: str, *,
                    added: bool = True, offline: bool = False, **kwargs: Any) -> int:
        """A member reacts; `offline`: while the bot is away (only the message changes)."""
        self._track_reaction(int(message_id), emoji, user["id"], added)
        if offline:
            return 0
        name = "MESSAGE_REACTION_ADD" if added else "MESSAGE_REACTION_REMOVE"
        data = self.reaction_payload(user, message_id, emoji, added=added, **kwargs)
        return await self.dispatch(name, data)

    def interaction_payload(self, user: dict[str, Any], itype: int, data: dict[str, Any], *,
                            guild_id: int | None = GUILD_ID, channel_id: int = CHANNEL_ID,
                            message: dict[str, Any] | None = None) -> Interaction:
        iid = self.next_id()
        payload: dict[str, Any] = {
            "id": str(iid), "application_id": str(APP_ID), "type": itype,
            "token": secrets.token_urlsafe(24), "version": 1, "data": data,
            "channel_id": str(channel_id), "locale": "en-US",
            "attachment_size_limit": 10 * 2**20, "app_permissions": str((1 << 41) - 1),
            "entitlements": [], "authorizing_integration_owners": {"0": str(guild_id or 0)},
            "context": 0 if guild_id else 1,
            "channel": {"id": str(channel_id), "type": 1,
                        "recipients": [user], "last_message_id": None},
        }
        if guild_id is not None:
            member = dict(self.members[(guild_id, int(user["id"]))])
            member["permissions"] = str(self.member_perms(guild_id, int(user["id"])))
            payload["guild_id"] = str(guild_id)
            payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
            payload["member"] = member
            payload["guild_locale"] = "en-US"
            known = self.channels.get(channel_id) or {"id": str(channel_id), "type": 0,
                                                      "guild_id": str(guild_id)}
            payload["channel"] = {**known, "permissions": str(
                self.member_perms(guild_id, int(user["id"])))}
        else:
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        interaction = Interaction(iid, payload["token"], payload, created_at=time.monotonic())
        self.interactions[iid] = interaction
        return interaction

    async def slash(self, user: dict[str, Any], name: str,
                    options: list[dict[str, Any]] | None = None, *,
                    resolved: dict[str, Any] | None = None, **kwargs: Any) -> Interaction:
        """A member runs a slash command (INTERACTION_CREATE type 2)."""
        data: dict[str, Any] = {"id": str(self.next_id()), "name": name, "type": 1,
                                "options": options or []}
        if resolved:
            data["resolved"] = resolved
        interaction = self.interaction_payload(user, 2, data, **kwargs)
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def autocomplete(self, user: dict[str, Any], name: str,
                           options: list[dict[str, Any]]) -> Interaction:
        data = {"id": str(self.next_id()), "name": name, "type": 1, "options": options}
        interaction = self.interaction_payload(user, 4, data)
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def click(self, user: dict[str, Any], message_id: int | str, custom_id: str,
                    **kwargs: Any) -> Interaction:
        """A member clicks a button of a message the bot sent (INTERACTION_CREATE type 3)."""
        message = self.messages[int(message_id)]
        data = {"custom_id": custom_id, "component_type": 2}
        interaction = self.interaction_payload(user, 3, data, message=message, **kwargs)
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def submit_modal(self, user: dict[str, Any], custom_id: str, value: str
                           ) -> Interaction:
        data = {"custom_id": custom_id, "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "value", "value": value}]}]}
        interaction = self.interaction_payload(user, 5, data)
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    # -- what the bot sent ----------------------------------------------------------------------

    def bot_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["author"]["id"] == str(BOT_ID)
                and (channel_id is None or m["channel_id"] == str(channel_id))]

    def texts(self, channel_id: int | None = CHANNEL_ID) -> list[str]:
        return [m["content"] for m in self.bot_messages(channel_id)]

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        rx = re.compile(pattern)
        return [r for r in self.requests if r.method == method and rx.search(r.path)]

    def limit(self, method: str, pattern: str, retry_after: float, *, count: int = 1,
              is_global: bool = False) -> None:
        self.rate_limits.append(RateLimit(method, re.compile(pattern), retry_after, count,
                                          is_global))

    def limit_channel(self, channel_id: int = CHANNEL_ID, *, sends: int = 5, edits: int = 5,
                      per: float = 5.0, headers: bool = True) -> None:
        """Discord's per-channel buckets (5 sends and 5 edits per 5 s, by default)."""
        self.buckets[("POST", channel_id)] = Bucket(sends, per, headers)
        self.buckets[("PATCH", channel_id)] = Bucket(edits, per, headers)

    def add_channel(self, guild_id: int = GUILD_ID, name: str = "announcements"
                    ) -> dict[str, Any]:
        """Another text channel of a guild (known to clients that connect afterwards)."""
        guild = self.guilds[guild_id]
        cid = self.next_id()
        channel = {**guild["channels"][0], "id": str(cid), "name": name,
                   "position": len(guild["channels"])}
        self.channels[cid] = channel
        guild["channels"].append(channel)
        return channel

    def _bucket(self, request: web.Request, path: str) -> tuple[Bucket, str] | None:
        """The per-channel bucket of a message send or edit, with its `X-RateLimit-Bucket`."""
        found = re.match(r"^/channels/(\d+)/messages(/\d+)?$", path)
        if found is None or (request.method, bool(found[2])) not in (("POST", False),
                                                                      ("PATCH", True)):
            return None
        bucket = self.buckets.get((request.method, int(found[1])))
        return None if bucket is None else (bucket, f"{request.method.lower()}-{found[1]}")

    @staticmethod
    def _bucket_headers(bucket: Bucket, name: str, now: float) -> dict[str, str]:
        """The headers discord.py reads to wait before the bucket runs dry."""
        hits = [t for t in bucket.hits if now - t < bucket.per]
        reset_after = (hits[0] + bucket.per - now) if hits else bucket.per
        return {"X-RateLimit-Limit": str(bucket.limit),
                "X-RateLimit-Remaining": str(max(bucket.limit - len(hits), 0)),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": name}

    # -- REST -----------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
        if request.path == "/gateway-ws":
            return await handler(request)
        body: Any = None
        files: list[tuple[str, bytes]] = []
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            form = await request.post()
            for key, value in form.items():
                if key == "payload_json":
                    body = json.loads(str(value))
                elif hasattr(value, "file"):
                    files.append((value.filename, value.file.read()))
        request[BODY] = body
        request[FILES] = files
        path = request.path.removeprefix(API)
        for rule in self.rate_limits:
            if rule.count > 0 and rule.method == request.method and rule.path.search(path):
                rule.count -= 1
                self.served_429.append(time.monotonic())
                return json_response(
                    {"message": "You are being rate limited.", "retry_after": rule.retry_after,
                     "global": rule.is_global},
                    429, {"Via": "1.1 google", "Retry-After": str(int(rule.retry_after) + 1),
                          "X-RateLimit-Scope": "global" if rule.is_global else "user"})
        limited = self._bucket(request, path)
        if limited is not None:
            bucket, name = limited
            now = time.monotonic()
            wait = bucket.take(now)
            if wait > 0:
                self.served_429.append(now)
                headers = {"Via": "1.1 google", "Retry-After": str(int(wait) + 1),
                           "X-RateLimit-Scope": "user"}
                if bucket.headers:
                    headers.update(self._bucket_headers(bucket, name, now))
                return json_response({"message": "You are being rate limited.",
                                      "retry_after": round(wait, 3), "global": False},
                                     429, headers)
        recorded = Recorded(request.method, path, dict(request.query), body, files,
                            now if limited is not None else time.monotonic())  # bucket time
        self.requests.append(recorded)
        try:
            response = await handler(request)
            if limited is not None and limited[0].headers and isinstance(response,
                                                                          web.Response):
                response.headers.update(self._bucket_headers(*limited, time.monotonic()))
            if response.status in (400, 401, 403, 404):
                self.refused.append(recorded)
            return response
        finally:
            self._touch()

    def _routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/gateway-ws", self._gateway)
        r.add_get(API + "/users/@me", self._me)
        r.add_get(API + "/oauth2/applications/@me", self._application)
        r.add_get(API + "/gateway/bot", self._gateway_bot)
        r.add_get(API + "/gateway", self._gateway_plain)
        r.add_get(API + "/users/@me/guilds", self._my_guilds)
        r.add_post(API + "/users/@me/channels", self._create_dm)
        r.add_get(API + "/users/{user}", self._user)
        r.add_get(API + "/guilds/{guild}/members/{user}", self._member)
        r.add_get(API + "/applications/{app}/commands", self._get_commands)
        r.add_put(API + "/applications/{app}/commands", self._put_commands)
        r.add_get(API + "/applications/{app}/guilds/{guild}/commands", self._get_commands)
        r.add_put(API + "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        r.add_post(API + "/channels/{channel}/messages", self._create_message)
        r.add_get(API + "/channels/{channel}/messages", self._channel_messages)
        r.add_get(API + "/channels/{channel}/messages/{message}", self._get_message)
        r.add_patch(API + "/channels/{channel}/messages/{message}", self._edit_message)
        r.add_get(API + "/channels/{channel}/messages/{message}/reactions/{emoji}",
                  self._reaction_users)
        r.add_put(API + "/channels/{channel}/messages/{message}/reactions/{emoji}/@me",
                  self._add_reaction)
        r.add_post(API + "/channels/{channel}/messages/{message}/threads", self._start_thread)
        r.add_post(API + "/interactions/{id}/{token}/callback", self._callback)
        r.add_post(API + "/webhooks/{app}/{token}", self._followup)
        r.add_get(API + "/webhooks/{app}/{token}/messages/{message}", self._get_webhook_message)
        r.add_patch(API + "/webhooks/{app}/{token}/messages/{message}", self._edit_webhook)
        r.add_delete(API + "/webhooks/{app}/{token}/messages/{message}", self._delete_webhook)

    async def _me(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization", "") != "Bot test-token":
            return error(401, 0, "401: Unauthorized")
        return json_response(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        return json_response({
            "id": str(APP_ID), "name": "Ruche", "description": "", "icon": None,
            "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
            "owner": self.users[int(self.guilds[GUILD_ID]["owner_id"])], "flags": 0,
            "summary": "", "rpc_origins": [], "team": None,
        })

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return json_response({"url": self.ws_url, "shards": self.shard_count,
                              "session_start_limit": {"total": 1000, "remaining": 1000,
                                                      "reset_after": 0, "max_concurrency": 1}})

    async def _gateway_plain(self, request: web.Request) -> web.Response:
        return json_response({"url": self.ws_url})

    async def _my_guilds(self, request: web.Request) -> web.Response:
        return json_response([{"id": g["id"], "name": g["name"], "icon": None, "owner": False,
                               "permissions": "0", "features": []}
                              for g in self.guilds.values()])

    async def _user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user"]))
        return json_response(user) if user else error(404, 10013, "Unknown User")

    async def _member(self, request: web.Request) -> web.Response:
        member = self.members.get((int(request.match_info["guild"]),
                                   int(request.match_info["user"])))
        return json_response(member) if member else error(404, 10007, "Unknown Member")

    async def _get_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        stored = self.commands.get(int(guild) if guild else None, [])
        if request.query.get("with_localizations") != "true":
            stored = without_localizations(stored)  # as Discord: only when asked for
        return json_response(stored)

    async def _put_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        problems = command_problems(request[BODY], "")
        if problems:  # the nested form Discord uses, one entry per problem
            return form_error({str(i): {"_errors": [{"code": "INVALID_COMMAND",
                                                      "message": problem}]}
                               for i, problem in enumerate(problems)})
        stored = []
        for command in request[BODY]:
            entry = {"id": str(self.next_id()), "application_id": str(APP_ID),
                     "version": str(self.next_id()), "default_member_permissions": None,
                     "nsfw": False, **command}
            if guild:
                entry["guild_id"] = guild
            stored.append(entry)
        self.commands[int(guild) if guild else None] = stored
        return json_response(stored)

    def _dm_channel(self, user: dict[str, Any]) -> dict[str, Any]:
        for channel in self.channels.values():
            if channel["type"] == 1 and channel["recipients"][0]["id"] == user["id"]:
                return channel
        cid = self.next_id()
        channel = {"id": str(cid), "type": 1, "recipients": [user], "last_message_id": None}
        self.channels[cid] = channel
        return channel

    async def _create_dm(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request[BODY]["recipient_id"]))
        if user is None:
            return error(404, 10013, "Unknown User")
        return json_response(self._dm_channel(user))

    def _bot_message(self, channel_id: int, body: dict[str, Any],
                     files: list[tuple[str, bytes]], *, flags: int = 0,
                     webhook: bool = False) -> dict[str, Any]:
        channel = self.channels[channel_id]
        guild_id = int(channel["guild_id"]) if channel.get("guild_id") else None
        data = self.message_payload(self.bot_user, body.get("content") or "",
                                    channel_id=channel_id, guild_id=guild_id)
        data["components"] = body.get("components") or []
        data["flags"] = flags | int(body.get("flags") or 0)
        if body.get("nonce") is not None:
            data["nonce"] = body["nonce"]  # Discord echoes the sender's nonce
        if webhook:
            data["webhook_id"] = str(APP_ID)
            data["application_id"] = str(APP_ID)
        if body.get("message_reference"):
            data["message_reference"] = {  # snowflakes come back as strings
                k: str(v) if k.endswith("_id") and v is not None else v
                for k, v in body["message_reference"].items()}
            data["type"] = 19
        data["attachments"] = [
            {"id": str(self.next_id()), "filename": name, "size": len(content),
             "url": f"http://{self.host}/attachments/{name}",
             "proxy_url": f"http://{self.host}/attachments/{name}"}
            for name, content in files]
        data["_files"] = files
        self.messages[int(data["id"])] = data
        return data

    def _public(self, data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if not k.startswith("_")}

    def _echo(self, data: dict[str, Any]) -> None:
        if int(data.get("flags") or 0) & 64:
            return  # ephemeral messages are not broadcast
        asyncio.get_running_loop().create_task(self.dispatch("MESSAGE_CREATE",
                                                             self._public(data)))

    async def _create_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if channel_id not in self.channels:
            return error(404, 10003, "Unknown Channel")
        channel = self.channels[channel_id]
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in self.dm_closed:
            return error(403, 50007, "Cannot send messages to this user")
        if channel_id in self.forbidden:
            return error(403, 50013, "Missing Permissions")
        refused = too_long(request[BODY])
        if refused is not None:
            return refused
        data = self._bot_message(channel_id, request[BODY] or {}, request[FILES])
        self._echo(data)
        return json_response(self._public(data))

    def _with_reactions(self, data: dict[str, Any]) -> dict[str, Any]:
        out = self._public(data)
        out["reactions"] = [
            {"emoji": {"id": None, "name": emoji}, "count": len(users),
             "count_details": {"burst": 0, "normal": len(users)}, "burst_colors": [],
             "me": str(BOT_ID) in users, "me_burst": False}
            for emoji, users in self.message_reactions.get(int(data["id"]), {}).items() if users]
        return out

    async def _channel_messages(self, request: web.Request) -> web.Response:
        """Channel history as Discord serves it: a page of `limit` (1-100, default 50), always
        newest first; `before` → the newest ones below it, `after` → the OLDEST ones above it."""
        channel = request.match_info["channel"]
        try:
            limit = int(request.query.get("limit", 50))
            before = int(request.query["before"]) if "before" in request.query else None
            after = int(request.query["after"]) if "after" in request.query else None
        except ValueError:
            return error(400, 50035, "Invalid Form Body")
        if not 1 <= limit <= 100:
            return error(400, 50035, "Invalid Form Body")
        found = sorted((m for m in self.messages.values() if m["channel_id"] == channel),
                       key=lambda m: int(m["id"]))
        if before is not None:
            found = [m for m in found if int(m["id"]) < before]
        if after is not None and before is None:
            found = [m for m in found if int(m["id"]) > after][:limit]
        else:
            if after is not None:
                found = [m for m in found if int(m["id"]) > after]
            found = found[-limit:]
        # REST message objects carry neither guild_id nor member (gateway events do).
        page = [{k: v for k, v in self._with_reactions(m).items()
                 if k not in ("guild_id", "member")} for m in reversed(found)]
        return json_response(page)

    async def _get_message(self, request: web.Request) -> web.Response:
        data = self.messages.get(int(request.match_info["message"]))
        if data is None:
            return error(404, 10008, "Unknown Message")
        return json_response(self._with_reactions(data))

    async def _reaction_users(self, request: web.Request) -> web.Response:
        """Users who reacted, by id, 100 at a time after `after` (Discord's pagination)."""
        emoji = request.match_info["emoji"]
        users = sorted(self.message_reactions.get(int(request.match_info["message"]), {})
                       .get(emoji, []), key=int)
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 25))
        page = [self.users[int(u)] for u in users if int(u) > after][:limit]
        return json_response(page)

    async def _edit_message(self, request: web.Request) -> web.Response:
        data = self.messages.get(int(request.match_info["message"]))
        if data is None:
            return error(404, 10008, "Unknown Message")
        if int(request.match_info["channel"]) in self.forbidden:
            return error(403, 50013, "Missing Permissions")
        body = request[BODY] or {}
        refused = too_long(body)
        if refused is not None:
            return refused
        if "content" in body:
            data["content"] = body["content"]
        if "components" in body:
            data["components"] = body["components"]
        data["edited_timestamp"] = TIMESTAMP
        self.edits.append({"id": data["id"], **body})
        return json_response(self._public(data))

    async def _add_reaction(self, request: web.Request) -> web.Response:
        message_id = int(request.match_info["message"])
        if message_id not in self.messages:
            return error(404, 10008, "Unknown Message")
        if int(request.match_info["channel"]) in self.forbidden:
            return error(403, 50013, "Missing Permissions")
        emoji = request.match_info["emoji"]
        self.reactions.append((message_id, emoji))
        self._track_reaction(message_id, emoji, str(BOT_ID), True)
        channel_id = int(request.match_info["channel"])
        guild = self.channels[channel_id].get("guild_id")
        data = self.reaction_payload(self.bot_user, message_id, emoji, channel_id=channel_id,
                                     guild_id=int(guild) if guild else None)
        asyncio.get_running_loop().create_task(self.dispatch("MESSAGE_REACTION_ADD", data))
        return web.Response(status=204)

    async def _start_thread(self, request: web.Request) -> web.Response:
        parent = int(request.match_info["channel"])
        message_id = int(request.match_info["message"])
        if message_id in self.channels:
            return error(400, 160004, "A thread has already been created for this message")
        if message_id not in self.messages:
            return error(404, 10008, "Unknown Message")
        body = request[BODY] or {}
        guild = self.channels[parent]["guild_id"]
        thread = {"id": str(message_id), "type": 11, "name": body.get("name", ""),
                  "parent_id": str(parent), "guild_id": guild, "owner_id": str(BOT_ID),
                  "message_count": 0, "member_count": 1, "rate_limit_per_user": 0,
                  "total_message_sent": 0,
                  "thread_metadata": {"archived": False, "locked": False,
                                      "auto_archive_duration":
                                          body.get("auto_archive_duration", 1440),
                                      "archive_timestamp": TIMESTAMP}}
        self.channels[message_id] = thread
        return json_response(thread, 201)

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(int(request.match_info["id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            return error(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            return error(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - interaction.created_at > self.interaction_deadline:
            return error(404, 10062, "Unknown interaction")  # answered after 3 s
        body = request[BODY] or {}
        refused = too_long(body.get("data"))
        if refused is not None:
            return refused
        interaction.callbacks.append(body)
        interaction.responded_at = time.monotonic()
        rtype = int(body.get("type", 0))
        data = body.get("data") or {}
        flags = int(data.get("flags") or 0)
        answer: dict[str, Any] = {"interaction": {
            "id": str(interaction.id), "type": interaction.payload["type"],
            "response_message_loading": rtype == 5,
            "response_message_ephemeral": bool(flags & 64)}}
        if rtype in (4, 5):
            message = self._bot_message(int(interaction.payload["channel_id"]),
                                        data if rtype == 4 else {"content": ""},
                                        request[FILES], flags=flags | (128 if rtype == 5
                                                                        else 0), webhook=True)
            message["interaction_id"] = interaction.id
            interaction.original = message
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": rtype, "message": self._public(message)}
            if rtype == 4:
                self._echo(message)
        elif rtype in (6, 7, 8, 9):
            answer["resource"] = None
            del answer["resource"]
        return json_response(answer)

    def _interaction_for(self, token: str) -> Interaction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    def expired(self, interaction: Interaction) -> bool:
        """The token answers follow-ups and edits for 15 minutes after the interaction."""
        return time.monotonic() - interaction.created_at > self.token_lifetime

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for(request.match_info["token"])
        if interaction is None:
            return error(404, 10015, "Unknown Webhook")
        if self.expired(interaction):
            return error(401, 50027, "Invalid Webhook Token")
        body = request[BODY] or {}
        refused = too_long(body)
        if refused is not None:
            return refused
        message = self._bot_message(int(interaction.payload["channel_id"]), body,
                                    request[FILES], webhook=True)
        interaction.followups.append(message)
        self._echo(message)
        return json_response(self._public(message))

    def _webhook_target(self, request: web.Request) -> dict[str, Any] | None:
        interaction = self._interaction_for(request.match_info["token"])
        if interaction is None or self.expired(interaction):
            return None
        which = request.match_info["message"]
        if which == "@original":
            return interaction.original
        return self.messages.get(int(which))

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        target = self._webhook_target(request)
        return json_response(self._public(target)) if target else error(404, 10008,
                                                                          "Unknown Message")

    async def _edit_webhook(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for(request.match_info["token"])
        if interaction is not None and self.expired(interaction):
            return error(401, 50027, "Invalid Webhook Token")
        target = self._webhook_target(request)
        if target is None:
            return error(404, 10008, "Unknown Message")
        body = request[BODY] or {}
        refused = too_long(body)
        if refused is not None:
            return refused
        if "content" in body:
            target["content"] = body["content"]
        if "components" in body:
            target["components"] = body["components"]
        target["flags"] = int(target.get("flags") or 0) & ~128  # no longer "thinking"
        self.edits.append({"id": target["id"], **body})
        return json_response(self._public(target))

    async def _delete_webhook(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for(request.match_info["token"])
        target = self._webhook_target(request)
        if interaction is None or target is None:
            return error(404, 10008, "Unknown Message")
        if request.match_info["message"] == "@original":
            interaction.deleted_original = True
        self.messages.pop(int(target["id"]), None)
        return web.Response(status=204)
