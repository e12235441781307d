"""Graceful degradation: a platform without a capability still gets a usable message."""

from __future__ import annotations

import json
import logging

from bot.adapters.base import BaseAdapter, Capabilities, degrade
from bot.logs import JsonFormatter, RedactSecrets, TextFormatter
from bot.model import Button, MessageRef, OutgoingMessage, RoomRef, UserRef

BUTTONS = (Button("Support", "cmd:idea support 1", emoji="👍"),
           Button("Comment", "cmd:idea show 1", emoji="💬"))


def test_buttons_kept_where_supported() -> None:
    msg = OutgoingMessage("Idea #1", buttons=BUTTONS)
    assert degrade(msg, Capabilities(buttons=True, reactions=True)) is msg


def test_buttons_become_reactions() -> None:
    out = degrade(OutgoingMessage("Idea #1", buttons=BUTTONS), Capabilities(reactions=True))
    assert out.buttons == () and out.reactions == ("👍", "💬") and out.text == "Idea #1"


def test_buttons_become_text_hints() -> None:
    out = degrade(OutgoingMessage("Idea #1", buttons=BUTTONS), Capabilities())
    assert out.buttons == () and out.reactions == ()
    assert out.text == "Idea #1\n👍 Support  💬 Comment"


def test_reactions_dropped_without_reaction_support() -> None:
    out = degrade(OutgoingMessage("Poll", reactions=("1️⃣",)), Capabilities())
    assert out.reactions == () and out.text == "Poll"


class TextOnly(BaseAdapter):
    platform = "text"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, room: RoomRef, message: OutgoingMessage) -> MessageRef:
        self.sent.append(message.text)
        return MessageRef("text", room.id, str(len(self.sent)))


async def test_base_adapter_defaults_degrade_instead_of_raising() -> None:
    adapter = TextOnly()
    room = RoomRef("text", "r")
    ref = await adapter.send(room, OutgoingMessage("one"))
    assert await adapter.edit(ref, OutgoingMessage("two")) == MessageRef("text", "r", "2")
    await adapter.react(ref, "👍")
    await adapter.send_file(room, "ledger.csv", b"abc", "Ledger")
    assert adapter.sent[-1] == "Ledger\n[ledger.csv: 3 bytes, file upload unavailable here]"
    assert await adapter.send_direct(UserRef("text", "u", "u"), OutgoingMessage("hi")) is None
    assert adapter.parse_mention("@x") is None


def _record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    record = logging.LogRecord("ruche", logging.ERROR, __file__, 1, msg, args, None)
    record.community = "console"
    if exc:
        try:
            raise RuntimeError("token=hunter2secret")
        except RuntimeError:
            import sys

            record.exc_info = sys.exc_info()
    return record


def test_secrets_are_redacted_from_logs() -> None:
    redact = RedactSecrets(["hunter2secret"])
    record = _record("login with %s failed", "hunter2secret", exc=True)
    assert redact.filter(record)
    text = TextFormatter().format(record)
    assert "hunter2secret" not in text and "***" in text and "community=console" in text
    record = _record("token %s", "hunter2secret")
    redact.filter(record)
    data = json.loads(JsonFormatter().format(record))
    assert data["event"] == "token ***" and data["community"] == "console"
