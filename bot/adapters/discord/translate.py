"""Pure translation of Discord gateway payloads into bot.model; no discord.py import, so testable."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bot.model import (
    IncomingMessage,
    MemberLeave,
    MessageDeleted,
    MessageRef,
    ReactionEvent,
    Role,
    RoomRef,
    UserRef,
)

PLATFORM = "discord"
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
MESSAGE_LIMIT = 2000
K = TypeVar("K")
V = TypeVar("V")
INTERACTION_PREFIX = "i"  # message ref ids of interactions: never clash with numeric snowflakes

MENTION = re.compile(r"<@!?([0-9]{15,21})>")
_QUOTE_PAIRS = (('"', '"'), ("“", "”"), ("«", "»"), ("'", "'"), ("„", "“"), ("‘", "’"))
_QUOTE_OPENERS = frozenset(open_ for open_, _close in _QUOTE_PAIRS)


@dataclass(frozen=True, slots=True)
class RoleConfig:
    """Configured role ids that raise a member's role beyond what their permissions give."""

    moderator_role_ids: frozenset[int] = frozenset()
    admin_role_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class InteractionInfo:
    """The parts of an INTERACTION_CREATE the core cares about (the token stays in discord.py)."""

    id: str
    type: int
    channel_id: str
    guild_id: str
    user: UserRef
    permissions: int | None
    role_ids: tuple[int, ...]
    data: Mapping[str, Any]
    message_id: str = ""
    locale: str = ""
    resolved_users: tuple[UserRef, ...] = field(default=())


# -- people and permissions ---------------------------------------------------------------------


def display_name(user: Mapping[str, Any], member: Mapping[str, Any] | None = None) -> str:
    """Server nickname, else global display name, else username: what members recognise."""
    for value in ((member or {}).get("nick"), user.get("global_name"), user.get("username")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return str(user.get("id", "?"))


def user_ref(user: Mapping[str, Any], member: Mapping[str, Any] | None = None,
             bot_user_id: str = "") -> UserRef:
    """A Discord account; system accounts and our own account count as bots (never voters)."""
    uid = str(user["id"])
    is_bot = bool(user.get("bot") or user.get("system")) or uid == bot_user_id
    return UserRef(PLATFORM, uid, display_name(user, member), is_bot)


def guild_permissions(role_ids: Iterable[int], role_permissions: Mapping[int, int],
                      everyone: int) -> int:
    """Permission bits a member holds server-wide: @everyone's plus each of their roles'."""
    bits = everyone
    for rid in role_ids:
        bits |= role_permissions.get(rid, 0)
    return bits


def role_for(permissions: int, role_ids: Iterable[int], config: RoleConfig,
             *, owner: bool = False) -> Role:
    """SPEC §2: Administrator (or owner) → admin; Manage Server or a configured role → moderator."""
    ids = set(role_ids)
    if owner or permissions & ADMINISTRATOR or ids & config.admin_role_ids:
        return Role.ADMIN
    if permissions & MANAGE_GUILD or ids & config.moderator_role_ids:
        return Role.MODERATOR
    return Role.MEMBER


def role_ids_of(member: Mapping[str, Any] | None) -> tuple[int, ...]:
    """Role ids of a member payload (strings on the wire)."""
    return tuple(int(r) for r in (member or {}).get("roles", ()) if str(r).isdigit())


def platform_roles_of(role_ids: Iterable[int],
                      names: Mapping[int, str] | None = None) -> tuple[str, ...]:
    """`discord:<id>` per role, and `discord-name:<lowercased name>` where names are known."""
    ids = tuple(role_ids)
    known = names or {}
    return tuple(f"{PLATFORM}:{rid}" for rid in ids) + tuple(
        f"{PLATFORM}-name:{known[rid].strip().lower()}" for rid in ids
        if known.get(rid, "").strip())


ROLE_MENTION = re.compile(r"<@&([0-9]{15,21})>")
CHANNEL_MENTION = re.compile(r"<#([0-9]{15,21})>")


def parse_platform_role(token: str, here: bool) -> str | None:
    """`<@&id>`, an id, or a role name typed on Discord → what `!role map` stores, else None."""
    text = token.strip()
    match = ROLE_MENTION.fullmatch(text) or re.fullmatch(r"(?:discord:)?([0-9]{15,21})", text)
    if match:
        return f"{PLATFORM}:{match.group(1)}"
    if text.lower().startswith(f"{PLATFORM}-name:"):
        text, here = text.split(":", 1)[1], True
    name = text.lstrip("@").strip().lower()
    if here and name and len(name) <= 100 and not text.startswith(("<", "#", "power:")):
        return f"{PLATFORM}-name:{name}"
    return None


def parse_channel(token: str) -> str | None:
    """`<#id>` (what Discord clients insert for a channel) → the channel id."""
    match = CHANNEL_MENTION.fullmatch(token.strip())
    return match.group(1) if match else None


# -- messages -----------------------------------------------------------------------------------


def room_ref(channel_id: str, guild_id: str, name: str = "") -> RoomRef:
    """A channel; `guild` is what the core's room map turns into the community."""
    return RoomRef(PLATFORM, channel_id, name, guild_id)


def message_from_payload(d: Mapping[str, Any], *, bot_user_id: str, role: Role = Role.MEMBER,
                         dm_guild: str = "", channel_name: str = "", raw: Any = None,
                         role_names: Mapping[int, str] | None = None) -> IncomingMessage:
    """MESSAGE_CREATE → IncomingMessage; webhooks count as bots, DMs may map to a guild."""
    guild_id = str(d.get("guild_id") or "")
    author = user_ref(d["author"], d.get("member"), bot_user_id)
    if d.get("webhook_id") and not author.is_bot:
        author = UserRef(PLATFORM, author.id, author.name, True)
    channel_id = str(d["channel_id"])
    reference = d.get("message_reference") or {}
    reply_to = None
    if reference.get("message_id"):
        reply_to = MessageRef(PLATFORM, str(reference.get("channel_id") or channel_id),
                              str(reference["message_id"]))
    mentions = tuple(user_ref(u, u.get("member"), bot_user_id) for u in d.get("mentions") or ())
    return IncomingMessage(
        ref=MessageRef(PLATFORM, channel_id, str(d["id"])),
        author=author,
        room=room_ref(channel_id, guild_id or dm_guild, channel_name),
        text=str(d.get("content") or ""),
        reply_to=reply_to,
        mentions=mentions,
        is_direct=not guild_id,
        role=role,
        platform_roles=platform_roles_of(role_ids_of(d.get("member")), role_names),
        raw=raw,
    )


def emoji_text(emoji: Mapping[str, Any]) -> str:
    """Unicode emoji as is; custom ones as `<:name:id>`, the form `bot.react` accepts back."""
    if emoji.get("id"):
        prefix = "a" if emoji.get("animated") else ""
        return f"<{prefix}:{emoji.get('name') or '_'}:{emoji['id']}>"
    return str(emoji.get("name") or "")


def reaction_event_id(session_id: str, sequence: int | None) -> str:
    """Replay-safe id: a resumed session redelivers an event with the same session and sequence.

    (message, user, emoji) is not an id: adding, removing and adding again are three events.
    """
    if not session_id or sequence is None:
        return ""
    return f"r:{session_id}:{sequence}"


def reaction_from_payload(d: Mapping[str, Any], *, added: bool, user: UserRef, event_id: str,
                          role: Role = Role.MEMBER, message_author: UserRef | None = None,
                          dm_guild: str = "", platform_roles: tuple[str, ...] = ()
                          ) -> ReactionEvent:
    """MESSAGE_REACTION_ADD / _REMOVE → ReactionEvent (names resolved by the caller)."""
    channel_id = str(d["channel_id"])
    guild_id = str(d.get("guild_id") or "")
    return ReactionEvent(
        message=MessageRef(PLATFORM, channel_id, str(d["message_id"])),
        user=user,
        room=room_ref(channel_id, guild_id or dm_guild),
        emoji=emoji_text(d.get("emoji") or {}),
        added=added,
        event_id=event_id,
        message_author=message_author,
        role=role,
        platform_roles=platform_roles,
    )


# -- membership and deletions ---------------------------------------------------------------------

#: Gateway events that end a membership, and the reason the core records. Discord has no kick
#: event: a kick is a GUILD_MEMBER_REMOVE like leaving (a ban sends both events).
LEAVE_EVENTS = {"GUILD_MEMBER_REMOVE": "left", "GUILD_BAN_ADD": "banned"}


def leave_from_payload(name: str, d: Mapping[str, Any], *, bot_user_id: str,
                       channel_id: str = "") -> MemberLeave | None:
    """GUILD_MEMBER_REMOVE / GUILD_BAN_ADD → MemberLeave (the bot itself and bots: None)."""
    reason = LEAVE_EVENTS.get(name)
    user = d.get("user")
    guild_id = str(d.get("guild_id") or "")
    if reason is None or not isinstance(user, Mapping) or not user.get("id") or not guild_id:
        return None
    ref = user_ref(user, None, bot_user_id)
    if ref.is_bot or ref.id == bot_user_id:
        return None
    return MemberLeave(ref, room_ref(channel_id or guild_id, guild_id), reason)


def deletions_from_payload(name: str, d: Mapping[str, Any]) -> list[MessageDeleted]:
    """MESSAGE_DELETE / MESSAGE_DELETE_BULK → one MessageDeleted per message id."""
    channel_id = str(d.get("channel_id") or "")
    if not channel_id:
        return []
    if name == "MESSAGE_DELETE":
        ids = [d.get("id")]
    elif name == "MESSAGE_DELETE_BULK":
        ids = list(d.get("ids") or [])
    else:
        return []
    room = room_ref(channel_id, str(d.get("guild_id") or ""))
    return [MessageDeleted(MessageRef(PLATFORM, channel_id, str(i)), room) for i in ids if i]


def shard_of(guild_id: str, shard_count: int) -> int:
    """Discord's routing rule: which shard receives a guild's events (DMs go to shard 0)."""
    if not guild_id or shard_count <= 1:
        return 0
    return (int(guild_id) >> 22) % shard_count


# -- interactions -------------------------------------------------------------------------------


def interaction_from_payload(d: Mapping[str, Any], *, bot_user_id: str) -> InteractionInfo:
    """INTERACTION_CREATE → who, where, with which permissions (Discord computes them for us)."""
    member = d.get("member")
    user_data = (member or {}).get("user") or d.get("user") or {}
    perms = (member or {}).get("permissions")
    data = d.get("data") or {}
    resolved = (data.get("resolved") or {}).get("users") or {}
    resolved_members = (data.get("resolved") or {}).get("members") or {}
    users = tuple(user_ref(u, resolved_members.get(uid), bot_user_id)
                  for uid, u in resolved.items())
    channel_id = str(d.get("channel_id") or (d.get("channel") or {}).get("id") or "")
    return InteractionInfo(
        id=str(d["id"]),
        type=int(d["type"]),
        channel_id=channel_id,
        guild_id=str(d.get("guild_id") or ""),
        user=user_ref(user_data, member, bot_user_id),
        permissions=int(perms) if isinstance(perms, str | int) and str(perms).isdigit()
        else None,
        role_ids=role_ids_of(member),
        data=data,
        message_id=str((d.get("message") or {}).get("id") or ""),
        locale=str(d.get("locale") or ""),
        resolved_users=users,
    )


def interaction_message(info: InteractionInfo, text: str, *, role: Role, dm_guild: str = "",
                        raw: Any = None,
                        role_names: Mapping[int, str] | None = None) -> IncomingMessage:
    """A slash command or click as the equivalent text command, from the interacting member."""
    room = room_ref(info.channel_id, info.guild_id or dm_guild)
    reply_to = (MessageRef(PLATFORM, info.channel_id, info.message_id)
                if info.message_id else None)
    return IncomingMessage(
        ref=MessageRef(PLATFORM, info.channel_id, INTERACTION_PREFIX + info.id),
        author=info.user,
        room=room,
        text=text,
        reply_to=reply_to,
        mentions=info.resolved_users,
        is_direct=not info.guild_id,
        role=role,
        private_reply=True,
        platform_roles=platform_roles_of(info.role_ids, role_names),
        raw=raw,
    )


# -- text helpers -------------------------------------------------------------------------------


def parse_mention(token: str) -> str | None:
    """`<@123…>` / `<@!123…>` → the user id; anything else is not a Discord mention."""
    match = MENTION.fullmatch(token.strip())
    return match.group(1) if match else None


def quote_arg(value: str) -> str:
    """Quote a value for the core's tokenizer so spaces, quotes and `--x` stay one argument."""
    if value and not any(c.isspace() for c in value) and value[0] not in _QUOTE_OPENERS \
            and not value.startswith("--"):
        return value
    for open_, close in _QUOTE_PAIRS:
        if close not in value:
            return f"{open_}{value}{close}"
    return '"' + value.replace('"', "”") + '"'


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut a long reply at line breaks (then spaces) into messages Discord accepts."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n") if rest[cut:cut + 1] == "\n" else rest[cut:].lstrip(" ")
    if rest:
        chunks.append(rest)
    return chunks


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut (names, labels, descriptions)."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Recent(Generic[K, V]):
    """A bounded map of recent things (names, message authors): old entries fall out."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._data: dict[K, V] = {}

    def put(self, key: K, value: V) -> None:
        self._data.pop(key, None)
        self._data[key] = value
        if len(self._data) > self.limit:
            del self._data[next(iter(self._data))]

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def pop(self, key: K) -> V | None:
        return self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)
