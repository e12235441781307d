"""One outbox row as plugins see it, and the JSON codec for what it stores (rooms, refs, Texts)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import Text
from bot.model import MessageRef, RoomRef


@dataclass(frozen=True, slots=True)
class Announcement:
    """What to say (a Text, or a payload the plugin renders at send time), where, under which key.

    Exactly one target applies: `member_id` (a private notice, `room` is the fallback),
    else `edit` (a message to rewrite), else `room` (a post, replying to `reply_to`)."""

    id: int
    namespace: str
    key: str
    community: str
    room: RoomRef | None = None
    member_id: int | None = None
    edit: MessageRef | None = None
    reply_to: MessageRef | None = None
    text: Text | str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    message_ref: MessageRef | None = None  # what an earlier delivery of this row posted
    attempts: int = 0


def encode_text(value: Text | str | None) -> str | None:
    """A Text (with nested Texts in its fields) as JSON, so it is translated when sent."""
    return None if value is None else json.dumps(_encode(value))


def decode_text(raw: str | None) -> Text | str | None:
    return None if raw is None else _decode(json.loads(raw))


def _encode(value: Any) -> Any:
    if isinstance(value, Text):
        return {"$text": [value.msgid, value.domain,
                          {k: _encode(v) for k, v in value.kwargs.items()},
                          value.plural, value.n]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # dates, decimals…: stored as they would be shown


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "$text" in value:
        msgid, domain, kwargs, plural, n = value["$text"]
        return Text(msgid, domain, {k: _decode(v) for k, v in kwargs.items()}, plural, n)
    return value


def encode_room(room: RoomRef | None) -> str | None:
    return None if room is None else json.dumps([room.platform, room.id, room.name, room.guild])


def decode_room(raw: str | None) -> RoomRef | None:
    return None if raw is None else RoomRef(*json.loads(raw))


def encode_ref(ref: MessageRef | None) -> str | None:
    return None if ref is None else json.dumps([ref.platform, ref.room_id, ref.id])


def decode_ref(raw: str | None) -> MessageRef | None:
    return None if raw is None else MessageRef(*json.loads(raw))
