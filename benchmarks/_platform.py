"""A benchmark chat that pays per message what the Discord and Matrix adapters pay, minus the network.

The in-memory `LocalAdapter` sets `dedupe_events = False` (its ids are never replayed), so the
dispatcher skips the de-dup check and mark (`Dispatcher._fresh` → `db.begin_event`, the mark
riding on the event's first write or a batched commit) that every Discord and Matrix event
costs, and it "sends" a reply by appending a `SentMessage` to a list.
`PlatformAdapter` keeps the local room (names as users, `say()`) but:
- de-duplicates like the real adapters (`dedupe_events = True`): every event id is checked and
  marked in the database through whatever path the dispatcher uses for it;
- renders and serialises each reply as the chosen platform does before its HTTP request:
  `discord` — the adapter's own split/buttons/hints (`bot.adapters.discord`) and discord.py's
  message payload (`handle_message_parameters`, nonce, message reference) encoded to JSON;
  `matrix` — the adapter's event content (`bot.adapters.matrix.render`: Markdown → HTML,
  pills and `@Display Name` aliases of the room's members, reply relation) encoded to JSON;
- keeps no list of sent messages (a heap growing by 100,000 replies slows the GC), only a
  count, the bytes that would go on the wire, and the last few texts.
Not included: the gateway/sync JSON parsing and event translation on the way in, the HTTP
request, and (Discord) turning the answer into a `discord.Message`. `make_platform_bot` is
`bot.testing.make_test_bot` with this adapter in place of the in-memory chat's.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.adapters.local import LocalAdapter
from bot.app import Bot
from bot.model import MessageRef, OutgoingMessage, RoomRef, UserRef
from bot.testing import make_test_bot

PLATFORMS = ("discord", "matrix")
SERVER = "bench.invalid"


class PlatformAdapter(LocalAdapter):
    """The local room, with the de-dup check and mark and a platform's reply rendering."""

    dedupe_events = True  # what DiscordAdapter and MatrixAdapter declare

    def __init__(self, render: str = "discord", platform: str = "console",
                 room: str = "console", moderators: list[str] | None = None,
                 admins: list[str] | None = None, keep: int = 20) -> None:
        super().__init__(platform, room, moderators, admins)
        if render not in PLATFORMS:
            raise ValueError(f"render must be one of {PLATFORMS}, not {render!r}")
        self.render = render
        self.replies = 0
        self.wire_bytes = 0
        self.recent: deque[str] = deque(maxlen=keep)
        self.on_reply: Callable[[str], None] | None = None
        self._members: dict[str, str] = {}  # user id in the room → display name (Matrix)
        self._snowflakes = iter(range(10**17, 10**18))
        self._encode = self._discord_encoder() if render == "discord" else self._matrix_encode

    # -- input: members join the room as they speak, like a Matrix room's member list ----------

    async def say(self, name: str, text: str, *, is_bot: bool = False) -> list[Any]:
        """Deliver one message; the bot's replies are counted, not returned."""
        if name not in self._members:
            self._members[name] = name
        await super().say(name, text, is_bot=is_bot)
        return []

    # -- output: render and serialise like the platform, then count -------------------------

    def _discord_encoder(self) -> Callable[[str, MessageRef | None, OutgoingMessage | None],
                                          bytes]:
        """discord.py is imported only for this platform (it is slow to import)."""
        from discord import MessageReference, utils
        from discord.http import handle_message_parameters

        from bot.adapters.discord.render import nonce, renderable, send_kwargs, with_hints
        from bot.adapters.discord.translate import split_text

        channel = next(self._snowflakes)

        def encode(text: str, reply_to: MessageRef | None,
                   message: OutgoingMessage | None) -> bytes:
            shown, dropped = renderable(message.buttons if message is not None else ())
            chunks = split_text(with_hints(text, dropped))
            body = b""
            for index, chunk in enumerate(chunks):
                kwargs = send_kwargs(chunk, shown if index == len(chunks) - 1 else [])
                reference: Any = None
                if index == 0 and reply_to is not None:
                    reference = MessageReference(message_id=next(self._snowflakes),
                                                 channel_id=channel,
                                                 fail_if_not_exists=False)
                with handle_message_parameters(
                        content=kwargs["content"], nonce=nonce(),
                        message_reference=(reference.to_message_reference_dict()
                                           if reference is not None else None),
                        view=kwargs.get("view"), allowed_mentions=None,
                        previous_allowed_mentions=None) as params:
                    body += utils._to_json(params.payload).encode()
            return body

        return encode

    def _matrix_aliases(self) -> dict[str, str]:
        """`@Display Name` → user id of the room's members, built per send that needs it, as the
        adapter does (`render.room_text_content`)."""
        seen: dict[str, str | None] = {}
        for uid, name in self._members.items():
            full = f"@{uid}:{SERVER}"
            if name and name != full:
                seen[name] = None if name in seen else full
        return {name: uid for name, uid in seen.items() if uid is not None}

    def _matrix_encode(self, text: str, reply_to: MessageRef | None,
                       message: OutgoingMessage | None) -> bytes:
        from bot.adapters.matrix.render import room_text_content, with_relations

        content = with_relations(room_text_content(text, self._matrix_aliases),
                                 reply_to=f"${reply_to.id}" if reply_to is not None else None)
        return json.dumps(content, ensure_ascii=False).encode()

    def _emit(self, text: str, reply_to: MessageRef | None = None,
              message: OutgoingMessage | None = None) -> str:
        body = self._encode(text, reply_to, message)
        self.replies += 1
        self.wire_bytes += len(body)
        self.recent.append(text)
        if self.on_reply is not None:
            self.on_reply(text)
        return self.ref_id(next(self._numbers))

    async def send(self, room: RoomRef, message: OutgoingMessage) -> MessageRef:
        ref = MessageRef(self.platform, room.id, self._emit(message.text, message.reply_to,
                                                            message))
        for emoji in message.reactions:
            await self.react(ref, emoji)
        return ref

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        self._emit(message.text, None, message)
        return ref

    async def react(self, ref: MessageRef, emoji: str) -> None:
        self.wire_bytes += len(json.dumps({"key": emoji, "event_id": ref.id}).encode())

    async def send_direct(self, user: UserRef, message: OutgoingMessage) -> MessageRef | None:
        return MessageRef(self.platform, f"dm:{user.id}", self._emit(message.text))


async def make_platform_bot(tmp: Path, *, render: str = "discord",
                            raw: Mapping[str, Any] | None = None,
                            builtins: Mapping[str, str] | None = None,
                            plugins: Mapping[str, object] | None = None,
                            sync: str = "FULL") -> tuple[Bot, PlatformAdapter]:
    """A started bot on SQLite in `tmp` chatting through a `PlatformAdapter`."""
    adapter = PlatformAdapter(render, moderators=["mod"], admins=["operator"])
    tb = await make_test_bot(
        tmp, raw=raw, builtins=builtins, plugins=plugins, adapter=adapter,
        storage_url=f"sqlite:///{tmp / 'r.sqlite3'}?synchronous={sync}")
    return tb.bot, adapter


# ------------------------------------------------------------------------- CPU per thread

@dataclass
class CpuSplit:
    """CPU µs per command by thread; `other` is the process total minus the named threads."""

    loop: float = 0.0
    writer: float = 0.0
    readers: float = 0.0
    other: float = 0.0

    @property
    def loop_writer(self) -> float:
        """What the targets count: the event-loop thread plus the SQLite writer thread."""
        return self.loop + self.writer

    @property
    def total(self) -> float:
        return self.loop + self.writer + self.readers + self.other


@dataclass
class ThreadCpu:
    """Samples the CPU clock of the event loop and of Ruche's SQLite threads around a run."""

    start_loop: float = 0.0
    start_process: float = 0.0
    start_threads: dict[str, tuple[int, float]] = field(default_factory=dict)

    @staticmethod
    def _sqlite_threads() -> dict[str, int]:
        """name → CPU clock id of each `ruche-sqlite-*` thread (Linux)."""
        found: dict[str, int] = {}
        for thread in threading.enumerate():
            if thread.name.startswith("ruche-sqlite") and thread.ident is not None:
                try:
                    found[thread.name] = time.pthread_getcpuclockid(thread.ident)
                except (AttributeError, OSError):
                    continue
        return found

    def start(self) -> None:
        self.start_threads = {name: (clock, time.clock_gettime(clock))
                              for name, clock in self._sqlite_threads().items()}
        self.start_process = time.process_time()
        self.start_loop = time.thread_time()

    def stop(self, commands: int) -> CpuSplit:
        """CPU since `start()` divided by `commands`, in µs, per thread kind."""
        loop = time.thread_time() - self.start_loop
        process = time.process_time() - self.start_process
        split = {"writer": 0.0, "readers": 0.0}
        for name, (clock, begun) in self.start_threads.items():
            try:
                used = time.clock_gettime(clock) - begun
            except OSError:  # the thread ended
                continue
            split["writer" if name.endswith("writer") else "readers"] += used
        per = 1e6 / max(commands, 1)
        other = max(0.0, process - loop - split["writer"] - split["readers"])
        return CpuSplit(loop * per, split["writer"] * per, split["readers"] * per, other * per)
