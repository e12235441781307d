"""discord.py's sharded gateway client, with the raw frames the adapter translates itself.

Raw frames give the gateway sequence number, the only replay-safe identity a reaction has,
and payloads the translation layer can be tested on. discord.py still keeps its caches,
reconnects, resumes, rate-limits REST calls and answers interactions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

from bot.adapters.discord.translate import shard_of

log = logging.getLogger("ruche.discord")

#: Dispatches the adapter reads from raw frames; a cheap substring test skips the others.
RAW_EVENTS = frozenset({
    "READY", "MESSAGE_CREATE", "MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE",
    "INTERACTION_CREATE", "GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE", "GUILD_BAN_ADD",
    "MESSAGE_DELETE", "MESSAGE_DELETE_BULK",
})
_MARKERS = ("READY", "MESSAGE_CREATE", "MESSAGE_REACTION_", "INTERACTION_CREATE",
            "GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE", "GUILD_BAN_ADD", "MESSAGE_DELETE")
KNOWN_INTENTS = frozenset({"message_content", "members", "presences"})


class EventSink(Protocol):
    """What the client hands the adapter: raw dispatches, interactions, readiness."""

    def on_gateway_event(self, name: str, data: Mapping[str, Any], event_id: str) -> None: ...
    async def on_client_interaction(self, interaction: discord.Interaction) -> None: ...
    async def on_client_ready(self) -> None: ...
    async def on_client_shard_ready(self, shard_id: int) -> None: ...


def make_intents(extra: list[str]) -> discord.Intents:
    """Guilds, messages and reactions always; privileged ones only when configured."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.guild_reactions = True
    intents.dm_reactions = True
    intents.moderation = True  # GUILD_BAN_ADD: a banned member is marked gone (not privileged)
    for name in extra:
        if name in KNOWN_INTENTS:
            setattr(intents, name, True)
    return intents


@dataclass
class Sessions:
    """Gateway session id per shard, learnt from READY, to name events across resumes."""

    shard_count: int = 1
    by_shard: dict[int, str] = field(default_factory=dict)

    def ready(self, data: Mapping[str, Any]) -> None:
        """READY starts a session (RESUMED keeps it): remember it for its shard."""
        shard = data.get("shard") or [0, 1]
        self.shard_count = max(int(shard[1]), 1)
        self.by_shard[int(shard[0])] = str(data.get("session_id") or "")

    def event_id(self, data: Mapping[str, Any], sequence: int | None) -> str:
        """`session:sequence` of the shard that owns the event's guild: stable when replayed."""
        if sequence is None:
            return ""
        guild = str(data.get("guild_id") or "")
        session = self.by_shard.get(shard_of(guild, self.shard_count), "")
        return f"{session}:{sequence}" if session else ""


class GatewayClient(discord.AutoShardedClient):
    """AutoShardedClient (all shards, or the configured range) feeding the adapter."""

    def __init__(self, sink: EventSink, **options: Any) -> None:
        super().__init__(enable_debug_events=True, **options)
        self.sink = sink
        self.sessions = Sessions()
        self._loads: Callable[[str], Any] = json.loads

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        """Intercept raw frames synchronously, in gateway order, before discord.py parses them."""
        if event == "socket_raw_receive":
            self._raw(args[0])
            return
        if event == "socket_raw_send":
            return
        super().dispatch(event, *args, **kwargs)

    def _raw(self, frame: Any) -> None:
        if not isinstance(frame, str) or not any(m in frame for m in _MARKERS):
            return
        try:
            message = self._loads(frame)
        except ValueError:
            return
        name = message.get("t")
        if name not in RAW_EVENTS or not isinstance(message.get("d"), Mapping):
            return
        data = message["d"]
        if name == "READY":
            self.sessions.ready(data)
        try:
            self.sink.on_gateway_event(name, data, self.sessions.event_id(data, message.get("s")))
        except Exception:  # one bad payload must never stop the gateway loop
            log.exception("discord: could not handle %s", name)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """discord.py built the Interaction (to answer with); the adapter does the rest."""
        await self.sink.on_client_interaction(interaction)

    async def on_ready(self) -> None:
        """All shards of this process are ready."""
        await self.sink.on_client_ready()

    async def on_shard_ready(self, shard_id: int) -> None:
        """One shard has a fresh session (start-up, or a connection that could not resume)."""
        await self.sink.on_client_shard_ready(shard_id)
