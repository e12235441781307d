"""Matrix events (raw event dicts, as recorded) to the platform-neutral model; no nio, no I/O.

The adapter hands each timeline event's `source` dict here together with a `RoomView` (what it
knows of the room from nio's state); everything returned is a `bot.model` value, so these
functions are unit-tested on recorded events without a homeserver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.matrix.text import (
    BARE_USER,
    html_to_text,
    keycap,
    normalize_emoji,
    strip_reply_fallback,
)
from bot.model import (
    IncomingMessage,
    MemberJoin,
    MemberLeave,
    MessageDeleted,
    MessageRef,
    ReactionEvent,
    Role,
    RoomRef,
    UserRef,
)

PLATFORM = "matrix"
#: How a member's power level travels in `platform_roles` (`matrix-power:50`); `!role map`
#: stores `matrix-power>=N`, which the core matches for any level at or above N.
POWER = "matrix-power"
HTML = "org.matrix.custom.html"
TEXT_TYPES = frozenset({"m.text", "m.notice", "m.emote"})
POLL_START = frozenset({"m.poll.start", "org.matrix.msc3381.poll.start"})
POLL_RESPONSE = frozenset({"m.poll.response", "org.matrix.msc3381.poll.response"})
POLL_END = frozenset({"m.poll.end", "org.matrix.msc3381.poll.end"})


def _dict(value: object) -> dict[str, Any]:
    """A JSON object or {} (clients send anything; translation never raises on bad shapes)."""
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


#: Room versions in which the creators' power is unlimited and never listed (MSC4289).
_CLASSIC_VERSIONS = frozenset(str(v) for v in range(1, 12))
CREATOR_LEVEL = 2**53


def privileged_creators(create_event: Mapping[str, Any]) -> frozenset[str]:
    """Room v12+: the m.room.create sender and `additional_creators` outrank every power level."""
    content = _dict(create_event.get("content"))
    version = _str(content.get("room_version")) or "1"
    if version in _CLASSIC_VERSIONS:
        return frozenset()
    extra = content.get("additional_creators", [])
    users = [u for u in extra if isinstance(u, str)] if isinstance(extra, list) else []
    sender = _str(create_event.get("sender"))
    return frozenset([sender, *users] if sender else users)


def role_for(level: int, moderator_level: int, admin_level: int) -> Role:
    """SPEC §2: power level ≥ admin threshold → admin, ≥ moderator threshold → moderator."""
    if level >= admin_level:
        return Role.ADMIN
    if level >= moderator_level:
        return Role.MODERATOR
    return Role.MEMBER


@dataclass(frozen=True, slots=True)
class Policy:
    """Who the bot is and how power levels map to roles (from `[platforms.matrix]`)."""

    own_user: str
    moderator_level: int = 50
    admin_level: int = 100
    bots: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RoomView:
    """What translation needs to know about a room; the adapter fills it from nio's room state."""

    room_id: str
    name: str = ""
    space: str = ""
    is_direct: bool = False
    levels: Mapping[str, int] = field(default_factory=dict)
    default_level: int = 0
    names: Mapping[str, str] = field(default_factory=dict)
    encrypted: bool = False
    creators: frozenset[str] = frozenset()

    def ref(self) -> RoomRef:
        return RoomRef(PLATFORM, self.room_id, self.name or self.room_id, self.space)

    def level(self, user_id: str) -> int:
        if user_id in self.creators:
            return CREATOR_LEVEL
        return int(self.levels.get(user_id, self.default_level))

    def user(self, user_id: str, policy: Policy, label: str = "") -> UserRef:
        """A member as the core sees them: display name if known, bots flagged."""
        name = self.names.get(user_id) or label or user_id.split(":", 1)[0].lstrip("@")
        is_bot = user_id == policy.own_user or user_id in policy.bots
        return UserRef(PLATFORM, user_id, name, is_bot=is_bot)

    def role(self, user_id: str, policy: Policy) -> Role:
        return role_for(self.level(user_id), policy.moderator_level, policy.admin_level)

    def platform_roles(self, user_id: str) -> tuple[str, ...]:
        """The power level as the core's `platform_roles`, for roles mapped with `power:N`."""
        return (f"{POWER}:{self.level(user_id)}",)


@dataclass(frozen=True, slots=True)
class MatrixRaw:
    """`IncomingMessage.raw` for Matrix: the event, its message type and its thread."""

    event: Mapping[str, Any]
    msgtype: str
    thread_root: str | None = None


# --------------------------------------------------------------------------- classification


def relation(event: Mapping[str, Any]) -> dict[str, Any]:
    return _dict(_dict(event.get("content")).get("m.relates_to"))


def event_kind(event: Mapping[str, Any]) -> str:
    """message | edit | reaction | redaction | poll.start | poll.response | poll.end | member |
    tombstone | encrypted | other — the branch the adapter takes (polls often arrive as nio
    UnknownEvent)."""
    etype = _str(event.get("type"))
    if etype == "m.room.message":
        return "edit" if relation(event).get("rel_type") == "m.replace" else "message"
    if etype == "m.reaction":
        return "reaction"
    if etype == "m.room.redaction":
        return "redaction"
    if etype in POLL_START:
        return "poll.start"
    if etype in POLL_RESPONSE:
        return "poll.response"
    if etype in POLL_END:
        return "poll.end"
    if etype == "m.room.member":
        return "member"
    if etype == "m.room.tombstone":
        return "tombstone"
    if etype == "m.room.encrypted":
        return "encrypted"
    return "other"


def thread_root(event: Mapping[str, Any]) -> str | None:
    rel = relation(event)
    if rel.get("rel_type") == "m.thread":
        return _str(rel.get("event_id")) or None
    return None


def reply_target(event: Mapping[str, Any]) -> str | None:
    """The event replied to; a thread's fallback reply (`is_falling_back`) is not a reply."""
    rel = relation(event)
    if rel.get("rel_type") == "m.thread" and rel.get("is_falling_back") is True:
        return None
    return _str(_dict(rel.get("m.in_reply_to")).get("event_id")) or None


# --------------------------------------------------------------------------- messages


def message_text(content: Mapping[str, Any], is_reply: bool) -> tuple[str, list[tuple[str, str]]]:
    """The text commands are parsed from, and the pills found in the formatted body.

    The plain body is the most faithful text; when the HTML body holds pills (whose plain body
    shows only display names) the HTML is used instead so `!tip <pill> 5` reads `!tip @u:s 5`.
    """
    body = _str(content.get("body"))
    if is_reply:
        body = strip_reply_fallback(body)
    formatted = _str(content.get("formatted_body"))
    if content.get("format") == HTML and formatted:
        text, pills = html_to_text(formatted)
        if pills:
            return text, pills
    return body, []


def to_message(event: Mapping[str, Any], room: RoomView, policy: Policy) -> IncomingMessage | None:
    """An m.room.message (text, notice, emote, or a captioned file) as an IncomingMessage."""
    if event_kind(event) != "message":
        return None
    content = _dict(event.get("content"))
    event_id, sender = _str(event.get("event_id")), _str(event.get("sender"))
    if not event_id or not sender:
        return None
    msgtype = _str(content.get("msgtype"))
    reply = reply_target(event)
    if msgtype in TEXT_TYPES:
        text, pills = message_text(content, reply is not None)
    else:  # media: only a caption (a body that is not the file name) is text
        body, filename = _str(content.get("body")), _str(content.get("filename"))
        text, pills = (body if filename and body != filename else ""), []
    labels = {user: label for user, label in pills}
    found = [user for user, _label in pills]
    found += [u for u in _dict(content.get("m.mentions")).get("user_ids", []) if isinstance(u, str)]
    found += BARE_USER.findall(text)
    mentions = tuple(room.user(u, policy, labels.get(u, "")) for u in dict.fromkeys(found))
    ref = MessageRef(PLATFORM, room.room_id, event_id)
    return IncomingMessage(
        ref=ref,
        author=room.user(sender, policy),
        room=room.ref(),
        text=text,
        reply_to=MessageRef(PLATFORM, room.room_id, reply) if reply else None,
        mentions=mentions,
        is_direct=room.is_direct,
        role=room.role(sender, policy),
        platform_roles=room.platform_roles(sender),
        raw=MatrixRaw(event, msgtype, thread_root(event)),
    )


# --------------------------------------------------------------------------- reactions


@dataclass(frozen=True, slots=True)
class ReactionRecord:
    """A reaction as stored, so that its later redaction can be told apart and reported."""

    event_id: str
    room_id: str
    target_id: str
    emoji: str
    sender: str
    target_sender: str = ""


def reaction_record(event: Mapping[str, Any], room_id: str) -> ReactionRecord | None:
    """An m.reaction (m.annotation) event, or None if it is malformed."""
    if event_kind(event) != "reaction":
        return None
    rel = relation(event)
    target, key = _str(rel.get("event_id")), normalize_emoji(_str(rel.get("key")))
    event_id, sender = _str(event.get("event_id")), _str(event.get("sender"))
    if rel.get("rel_type") != "m.annotation" or not (target and key and event_id and sender):
        return None
    return ReactionRecord(event_id, room_id, target, key, sender)


def to_reaction(record: ReactionRecord, room: RoomView, policy: Policy, *, added: bool = True,
                event_id: str = "") -> ReactionEvent:
    """A reaction added (or, from its redaction, removed) as the core's ReactionEvent."""
    author = room.user(record.target_sender, policy) if record.target_sender else None
    return ReactionEvent(
        message=MessageRef(PLATFORM, record.room_id, record.target_id),
        user=room.user(record.sender, policy),
        room=room.ref(),
        emoji=record.emoji,
        added=added,
        event_id=event_id or record.event_id,
        message_author=author,
        role=room.role(record.sender, policy),
        platform_roles=room.platform_roles(record.sender),
    )


def redacted_id(event: Mapping[str, Any]) -> str | None:
    """The event a redaction removes: top-level `redacts` (rooms v1–10) or in content (v11)."""
    if event_kind(event) != "redaction":
        return None
    return _str(event.get("redacts")) or _str(_dict(event.get("content")).get("redacts")) or None


def to_deleted(event: Mapping[str, Any], room: RoomView, policy: Policy) -> MessageDeleted | None:
    """A redaction of anything but a known reaction: the core's MessageDeleted."""
    target = redacted_id(event)
    if target is None:
        return None
    sender = _str(event.get("sender"))
    by = room.user(sender, policy) if sender else None
    return MessageDeleted(MessageRef(PLATFORM, room.room_id, target), room.ref(), by)


# --------------------------------------------------------------------------- membership


def _prev_membership(event: Mapping[str, Any]) -> str:
    prev = _dict(event.get("prev_content")) or _dict(_dict(event.get("unsigned")).get("prev_content"))
    return _str(prev.get("membership"))


def to_join(event: Mapping[str, Any], room: RoomView, policy: Policy) -> MemberJoin | None:
    """A member who joined (not a display-name change, not the bot itself)."""
    if event_kind(event) != "member":
        return None
    user = _str(event.get("state_key"))
    if _str(_dict(event.get("content")).get("membership")) != "join" or not user:
        return None
    if _prev_membership(event) == "join" or user == policy.own_user:
        return None
    return MemberJoin(room.user(user, policy), room.ref())


#: Memberships that come before a leave which was no departure (a declined invite or knock).
_NEVER_JOINED = frozenset({"invite", "knock"})


def to_leave(event: Mapping[str, Any], room: RoomView, policy: Policy) -> MemberLeave | None:
    """A member who left ("left"), was removed by someone else ("kicked") or banned."""
    if event_kind(event) != "member":
        return None
    user = _str(event.get("state_key"))
    membership = _str(_dict(event.get("content")).get("membership"))
    if not user or user == policy.own_user or membership not in ("leave", "ban"):
        return None
    previous = _prev_membership(event)
    if membership == "leave" and (previous in _NEVER_JOINED or previous in ("leave", "ban")):
        return None  # a declined invite, a withdrawn knock, or an unban: nobody departed
    if membership == "ban":
        reason = "banned"
    else:
        reason = "left" if _str(event.get("sender")) in ("", user) else "kicked"
    return MemberLeave(room.user(user, policy), room.ref(), reason)


def tombstone_successor(event: Mapping[str, Any]) -> str | None:
    """The room an m.room.tombstone points to (a room upgrade), else None."""
    if event_kind(event) != "tombstone" or _str(event.get("state_key")) != "":
        return None
    successor = _str(_dict(event.get("content")).get("replacement_room"))
    return successor if successor.startswith("!") else None


@dataclass(frozen=True, slots=True)
class Invite:
    """The bot was invited: by whom, and whether as a direct chat."""

    room_id: str
    inviter: str
    is_direct: bool = False


def invite_for(event: Mapping[str, Any], room_id: str, own_user: str) -> Invite | None:
    """The invite of the bot among a room's invite_state events, else None."""
    content = _dict(event.get("content"))
    if (event_kind(event) != "member" or _str(event.get("state_key")) != own_user
            or content.get("membership") != "invite"):
        return None
    return Invite(room_id, _str(event.get("sender")), content.get("is_direct") is True)


# --------------------------------------------------------------------------- MSC3381 polls


def _mtext(value: object) -> str:
    """Extensible-event text: a string (unstable) or [{"body", "mimetype"}] (stable m.text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        blocks = [_dict(b) for b in value]
        plain = [b for b in blocks if _str(b.get("mimetype")) in ("", "text/plain")]
        for block in plain or blocks:
            if _str(block.get("body")):
                return _str(block["body"])
    return ""


def _any_text(obj: Mapping[str, Any]) -> str:
    return (_mtext(obj.get("m.text")) or _mtext(obj.get("org.matrix.msc1767.text"))
            or _str(obj.get("body")))


@dataclass(frozen=True, slots=True)
class PollStart:
    """A native poll: its answers' ids in display order (option N is answers[N-1])."""

    event_id: str
    room_id: str
    sender: str
    question: str
    answers: tuple[str, ...]
    labels: tuple[str, ...]
    max_selections: int = 1


@dataclass(frozen=True, slots=True)
class PollResponse:
    """One member's (latest) selection on a poll."""

    event_id: str
    poll_id: str
    sender: str
    answers: tuple[str, ...]
    ts: float


def parse_poll_start(event: Mapping[str, Any], room_id: str) -> PollStart | None:
    """m.poll.start or org.matrix.msc3381.poll.start; None when malformed."""
    if event_kind(event) != "poll.start":
        return None
    content = _dict(event.get("content"))
    poll = _dict(content.get("m.poll")) or _dict(content.get("org.matrix.msc3381.poll.start"))
    answers = [_dict(a) for a in poll.get("answers", []) if isinstance(a, dict)]
    ids = tuple(_str(a.get("m.id")) or _str(a.get("id")) for a in answers)
    event_id = _str(event.get("event_id"))
    if not event_id or not ids or not all(ids) or len(set(ids)) != len(ids):
        return None
    max_sel = poll.get("max_selections", 1)
    max_sel = max_sel if isinstance(max_sel, int) and not isinstance(max_sel, bool) else 1
    return PollStart(event_id, room_id, _str(event.get("sender")),
                     _any_text(_dict(poll.get("question"))), ids,
                     tuple(_any_text(a) for a in answers), max(1, min(max_sel, len(ids))))


def poll_reference(event: Mapping[str, Any]) -> str | None:
    """The poll a response or an end refers to (an m.reference relation)."""
    rel = relation(event)
    if rel.get("rel_type") != "m.reference":
        return None
    return _str(rel.get("event_id")) or None


def parse_poll_response(event: Mapping[str, Any]) -> PollResponse | None:
    """m.poll.response (`m.selections`) or the MSC3381 form (`answers`)."""
    if event_kind(event) != "poll.response":
        return None
    content = _dict(event.get("content"))
    if "m.selections" in content:
        raw = content["m.selections"]
    else:
        raw = _dict(content.get("org.matrix.msc3381.poll.response")).get("answers", [])
    poll_id, event_id = poll_reference(event), _str(event.get("event_id"))
    if not poll_id or not event_id or not isinstance(raw, list):
        return None
    ts = event.get("origin_server_ts", 0)
    return PollResponse(event_id, poll_id, _str(event.get("sender")),
                        tuple(a for a in raw if isinstance(a, str)),
                        float(ts) if isinstance(ts, int | float) else 0.0)


def selection(response: PollResponse, poll: PollStart) -> tuple[int, ...]:
    """0-based options chosen: unknown answer ids dropped, cut to max_selections (MSC3381)."""
    chosen: list[int] = []
    for answer in response.answers:
        if answer in poll.answers and poll.answers.index(answer) not in chosen:
            chosen.append(poll.answers.index(answer))
    return tuple(chosen[: poll.max_selections])


def ballot_reactions(response: PollResponse, poll: PollStart, previous: tuple[int, ...],
                     room: RoomView, policy: Policy) -> list[ReactionEvent]:
    """A poll response as the keycap reactions the votes plugin counts: what was withdrawn
    (removed) first, then what was added, so a changed ballot replaces the old one."""
    current = selection(response, poll)
    changes = [(i, False) for i in previous if i not in current]
    changes += [(i, True) for i in current if i not in previous]
    events: list[ReactionEvent] = []
    for index, added in changes:
        emoji = keycap(index)
        if emoji is None:  # options past 10 have no reaction the votes plugin would know
            continue
        record = ReactionRecord(response.event_id, poll.room_id, poll.event_id, emoji,
                                response.sender, poll.sender)
        sign = "+" if added else "-"
        events.append(to_reaction(record, room, policy, added=added,
                                  event_id=f"{response.event_id}|{index}{sign}"))
    return events


# --------------------------------------------------------------------------- permissions


def parse_power_role(token: str) -> str | None:
    """`power:25` (or `matrix-power:25`) → `matrix-power>=25`: everyone at level 25 or more."""
    head, sep, level = token.strip().lower().partition(":")
    if not sep or head not in ("power", POWER):
        return None
    level = level.removeprefix(">=").strip()
    if not level.lstrip("-").isdigit() or abs(int(level)) > 2**53:
        return None
    return f"{POWER}>={int(level)}"


def parse_room_id(token: str) -> str | None:
    """`!opaque:server` (a room id, as in a room's settings) → the id; aliases are not ids."""
    text = token.strip()
    if text.startswith("!") and ":" in text and not any(c.isspace() for c in text):
        return text
    return None
