"""The Matrix adapter on matrix-nio: login, E2EE, the sync loop, and events handed to the core.

Sync loop: one `/sync` at a time; each batch's rooms are processed in tasks (in order within a
room) while the next `/sync` already runs, so a command that waits for the homeserver (a new
DM room) never blocks the loop. `next_batch` is saved once every earlier batch has been fully
handed to the core, so a restart resumes after it; anything replayed is dropped by the core's
event-id de-duplication. The loop never raises: errors are logged and retried with backoff, so a
homeserver outage never takes the other platforms down.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nio import (
    AsyncClient,
    MatrixRoom,
    MegolmEvent,
    RoomMessage,
    SyncResponse,
)

from bot.adapters.base import BaseAdapter, Capabilities
from bot.adapters.matrix import MatrixConfig
from bot.adapters.matrix.crypto import Trust, housekeeping
from bot.adapters.matrix.events import MatrixEvents, Names
from bot.adapters.matrix.sender import Sender
from bot.adapters.matrix.session import LoginFailed, login, make_client
from bot.adapters.matrix.store import MatrixStore
from bot.adapters.matrix.text import keycap, pill_user
from bot.adapters.matrix.translate import (
    PLATFORM,
    Policy,
    parse_power_role,
    parse_room_id,
    privileged_creators,
    role_for,
)
from bot.model import MessageRef, OutgoingMessage, Role, RoomRef, UserRef

if TYPE_CHECKING:
    from bot.app import Bot

log = logging.getLogger("ruche.matrix")

#: Uncommitted batches allowed while handlers run; beyond it the loop waits (backpressure).
MAX_INFLIGHT_BATCHES = 8


@dataclass
class _Batch:
    """One sync response being handed to the core; its token is saved when it completes."""

    token: str
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    complete: bool = True  # False if the core stopped accepting before every event was handed


class MatrixAdapter(MatrixEvents, BaseAdapter):
    """One bot account on one homeserver, in plain and encrypted rooms alike."""

    platform = PLATFORM
    capabilities = Capabilities(reactions=True, edits=True, threads=True, polls=True,
                                files=True, direct_messages=True, list_reactions=True)
    dedupe_events = True

    def __init__(self, config: MatrixConfig, data_dir: str = "data") -> None:
        self.config = config
        self.store_path: Path = config.store_path(data_dir)
        self.policy = self._policy(config)
        self.trust = Trust(config.trust, config.trusted_devices)
        self.sender = Sender(config, self.trust)
        self.sender.aliases = self._aliases
        self.client: AsyncClient | None = None
        self.store: MatrixStore | None = None
        #: Set after the first successful sync (tests and health checks wait on it).
        self.ready = asyncio.Event()
        #: False while the homeserver cannot be reached.
        self.connected = False
        self._task: asyncio.Task[None] | None = None
        self._token: str | None = None
        self._known_rooms: set[str] = set()
        self._direct: set[str] = set()
        self._space_of: dict[str, str] = {}
        self._creators: dict[str, frozenset[str]] = {}
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._batches: list[_Batch] = []
        self._undecrypted: dict[str, tuple[str, MegolmEvent, float]] = {}
        self._requested_keys: set[str] = set()
        self._commit_lock = asyncio.Lock()
        self._background: set[asyncio.Future[None]] = set()
        self._session_ok = False
        self._stopping = False

    def _policy(self, config: MatrixConfig) -> Policy:
        return Policy(self.config.user_id, config.moderator_power_level,
                      config.admin_power_level, frozenset(config.ignore_users))

    def apply_policy(self, config: MatrixConfig) -> None:
        """Power levels and ignored users from a reloaded config (the user id needs a restart)."""
        self.policy = self._policy(config)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self, bot: Bot) -> None:
        """Begin the sync loop in the background: a dead homeserver must not delay startup."""
        self.bot = bot
        self.store = MatrixStore(bot.db, self.config.user_id)
        self.sender.store = self.store
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="matrix-sync")

    async def stop(self) -> None:
        """Stop syncing, let handed-over events finish, save the token, close the client."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        pending = [t for batch in self._batches for t in batch.tasks]
        if pending:
            await asyncio.wait(pending, timeout=10)
        await self._commit_batches()
        if self.client is not None:
            await self.client.close()
        self.connected = False

    # -- the sync loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        """Connect, then sync forever; every failure is logged and retried with backoff."""
        failures = 0
        while not self._stopping:
            try:
                if not self._session_ok:
                    await self._connect()
                else:
                    await self._sync(first=False)
                if not self.connected:
                    log.info("matrix: connected to %s", self.config.homeserver)
                self.connected = True
                failures = 0
            except asyncio.CancelledError:
                raise
            except SyncFailed as exc:
                self.connected = False
                failures += 1
                if exc.status_code in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
                    self._session_ok = False  # log in again (password) or report the bad token
                delay = self._backoff(failures, exc)
                log.warning("matrix: sync refused (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
            except LoginFailed as exc:
                self.connected = False
                log.error("matrix: login failed: %s; retrying in %.0fs", exc,
                          self.config.max_backoff.total_seconds())
                await asyncio.sleep(self.config.max_backoff.total_seconds())
            except Exception as exc:
                self.connected = False
                failures += 1
                delay = self._backoff(failures, exc)
                log.warning("matrix: sync failed (%s: %s); retrying in %.1fs",
                            type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)

    def _backoff(self, failures: int, exc: BaseException) -> float:
        """1 s, 2 s, 4 s… up to max_backoff, with jitter; a 429 waits what the server asks."""
        asked = getattr(exc, "retry_after", None)
        if isinstance(asked, float):
            return asked
        cap = self.config.max_backoff.total_seconds()
        return min(cap, 2.0 ** (failures - 1)) * random.uniform(0.8, 1.0)

    async def _connect(self) -> None:
        """Log in (or restore the device), check the first sync, then join configured rooms."""
        assert self.store is not None
        if self.client is not None:
            await self.client.close()
        self.client = make_client(self.config, self.store_path)
        self.sender.client = self.client
        await login(self.client, self.config, self.store_path)
        if self.client.olm is not None and self.client.should_upload_keys:
            await self.client.keys_upload()
        self._token = await self.store.next_batch()
        self._direct = await self.store.direct_rooms()
        await self._sync(first=True)
        for room in self.config.rooms:
            if room not in self.client.rooms:
                await self.sender.call(lambda room=room: self._client().join(room))  # type: ignore[misc]
        await self._refresh_spaces()
        self._session_ok = True
        self.ready.set()

    async def _sync(self, *, first: bool) -> None:
        """One /sync; its events go to tasks; the loop goes on without waiting for them."""
        client = self._client()
        while len(self._batches) >= MAX_INFLIGHT_BATCHES:
            await asyncio.wait(self._batches[0].tasks)
            await self._commit_batches()
        timeout = 0 if first else int(self.config.sync_timeout.total_seconds() * 1000)
        resumed = first and self._token is not None  # a restart: what was missed comes now
        limit = max(self.config.catch_up_messages, 1) if resumed else self.config.timeline_limit
        sync_filter = {"room": {"timeline": {"limit": limit}}}
        response = await client.sync(timeout=timeout, since=self._token, full_state=first or None,
                                     sync_filter=sync_filter)
        if not isinstance(response, SyncResponse):
            raise SyncFailed(response)
        history = first and self._token is None  # a brand-new account: the past is not ours
        if first:
            self._known_rooms = set(client.rooms)
        self._token = response.next_batch
        self._note_creators(response)
        batch = _Batch(response.next_batch)
        for invite in self._invites(response):
            batch.tasks.append(asyncio.create_task(self._on_invite(invite)))
        if not history:
            for room_id, info in response.rooms.join.items():
                events = self._new_events(room_id, list(info.timeline.events))
                if resumed:
                    events = self._within_bound(room_id, events, limited=info.timeline.limited)
                batch.tasks.append(self._room_task(room_id, events, batch))
            retry = self._retry_undecrypted()
            for room_id, events in retry.items():
                batch.tasks.append(self._room_task(room_id, events, batch))
        self._batches.append(batch)
        if not batch.tasks:
            await self._commit_batches()
        else:
            for task in batch.tasks:
                task.add_done_callback(self._on_task_done)
            await asyncio.sleep(0)  # handlers start (and reach the core) before the next /sync
        await housekeeping(client)

    def _within_bound(self, room_id: str, events: list[Any], *, limited: bool) -> list[Any]:
        """Catch-up after a restart: messages older than `catch_up_age` are not handled.

        Only messages (commands, chat) are held to the bound; reactions, redactions and
        membership still apply. `catch_up_messages = 0` drops every missed message."""
        config = self.config
        oldest_ms = (self.bot.now() - config.catch_up_age.total_seconds()) * 1000
        kept: list[Any] = []
        stale: list[str] = []
        for event in events:
            message = isinstance(event, RoomMessage | MegolmEvent)
            at = getattr(event, "server_timestamp", 0) or 0
            if message and (config.catch_up_messages == 0 or at < oldest_ms):
                stale.append(str(getattr(event, "event_id", "")))
            else:
                kept.append(event)
        if stale:
            log.info("matrix: catch-up in %s: %d message(s) older than the bound not answered "
                     "(%s)", room_id, len(stale), ", ".join(stale))
        if limited and config.catch_up_messages:
            log.info("matrix: catch-up in %s read the newest %d events; older ones were skipped",
                     room_id, len(events))
        return kept

    def _note_creators(self, response: SyncResponse) -> None:
        """Remember each room's creators (nio keeps no m.room.create): they outrank everyone."""
        for room_id, info in response.rooms.join.items():
            for event in (*info.state, *info.timeline.events):
                source = getattr(event, "source", None)
                if isinstance(source, dict) and source.get("type") == "m.room.create":
                    self._creators[room_id] = privileged_creators(source)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("matrix: event task failed", exc_info=task.exception())
        if self._batches and all(t.done() for t in self._batches[0].tasks):
            self._spawn(self._commit_batches())

    async def _commit_batches(self) -> None:
        """Save the token of every leading batch whose events were all handed to the core."""
        assert self.store is not None
        async with self._commit_lock:  # saves in batch order, never an older token last
            token = None
            while self._batches and all(t.done() for t in self._batches[0].tasks):
                batch = self._batches[0]
                if not batch.complete or any(t.cancelled() for t in batch.tasks):
                    break
                self._batches.pop(0)
                token = batch.token
            if token is not None:
                try:
                    await self.store.save_next_batch(token)
                except Exception:  # database closing at shutdown: a replay is de-duplicated
                    log.warning("matrix: could not save the sync token", exc_info=True)

    def _new_events(self, room_id: str, events: list[Any]) -> list[Any]:
        """In a room joined since the last sync, only what follows the bot's own join is new."""
        if room_id in self._known_rooms:
            return events
        self._known_rooms.add(room_id)
        for index in range(len(events) - 1, -1, -1):
            source = getattr(events[index], "source", None)
            if (isinstance(source, dict) and source.get("type") == "m.room.member"
                    and source.get("state_key") == self.config.user_id
                    and isinstance(source.get("content"), dict)
                    and source["content"].get("membership") == "join"):
                return events[index + 1:]
        return []

    def _room_task(self, room_id: str, events: list[Any], batch: _Batch) -> asyncio.Task[None]:
        """Events of one room in order, after that room's previous batch."""
        previous = self._tails.get(room_id)
        task = asyncio.create_task(self._room_events(room_id, events, batch, previous),
                                   name=f"matrix-room-{room_id}")
        self._tails[room_id] = task
        return task

    async def _room_events(self, room_id: str, events: list[Any], batch: _Batch,
                           previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        for event in events:
            if not self.bot.dispatcher.accepting:
                batch.complete = False
                return
            try:
                await self._event(room_id, event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("matrix: event %s in %s failed",
                               getattr(event, "event_id", "?"), room_id)
        if self._tails.get(room_id) is asyncio.current_task():
            del self._tails[room_id]

    # -- Adapter protocol -----------------------------------------------------------------------

    async def send(self, room: RoomRef, message: OutgoingMessage) -> MessageRef:
        reply = message.reply_to.id if message.reply_to else None
        thread = message.thread_of.id if message.thread_of else None
        event_id = await self.sender.send_text(room.id, message.text, reply_to=reply,
                                               thread_of=thread)
        ref = MessageRef(PLATFORM, room.id, event_id)
        for emoji in message.reactions:
            await self.react(ref, emoji)
        return ref

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        """An m.replace edit; the original event id stays the message's handle."""
        await self.sender.edit(ref.room_id, ref.id, message.text)
        return ref

    async def react(self, ref: MessageRef, emoji: str) -> None:
        await self.sender.react(ref.room_id, ref.id, emoji)

    async def send_file(self, room: RoomRef, filename: str, data: bytes,
                        caption: str = "") -> MessageRef:
        event_id = await self.sender.send_file(room.id, filename, data, caption)
        return MessageRef(PLATFORM, room.id, event_id)

    async def send_direct(self, user: UserRef, message: OutgoingMessage) -> MessageRef | None:
        """A notification in the DM room with that user (made on first use)."""
        room_id = await self.sender.direct_room(user.id)
        self._direct.add(room_id)
        return await self.send(RoomRef(PLATFORM, room_id), OutgoingMessage(message.text))

    async def send_poll(self, room: RoomRef, question: str, options: list[str],
                        max_selections: int = 1) -> MessageRef:
        """A native poll; members' answers reach `on_reaction` as keycap reactions on it."""
        event_id = await self.sender.send_poll(room.id, question, options, max_selections)
        return MessageRef(PLATFORM, room.id, event_id)

    async def end_poll(self, poll: MessageRef, text: str) -> None:
        """End a native poll (its later responses are ignored)."""
        await self.sender.end_poll(poll.room_id, poll.id, text)

    def message_link(self, ref: MessageRef) -> str:
        """A matrix.to permalink (tips record where a reaction tip came from)."""
        return f"https://matrix.to/#/{ref.room_id}/{ref.id}"

    async def list_reactions(self, ref: MessageRef) -> dict[str, list[UserRef]]:
        """emoji → who reacted, now: lets the votes plugin reconcile ballots after a restart.

        Native poll answers count as the keycap reactions they are reported as.
        """
        view = self.view(ref.room_id)
        found: dict[str, list[UserRef]] = {}
        pairs = await self.sender.annotations(ref.room_id, ref.id)
        if self.store is not None:
            for user, chosen in await self.store.ballots(ref.id):
                pairs += [(emoji, user) for emoji in map(keycap, chosen) if emoji]
        for emoji, user in dict.fromkeys(pairs):
            found.setdefault(emoji, []).append(view.user(user, self.policy))
        return found

    def parse_room(self, token: str, here: RoomRef) -> RoomRef | None:
        """`!id:server` → that room, in the space the command came from (if it is one of ours)."""
        room_id = parse_room_id(token)
        return None if room_id is None else RoomRef(PLATFORM, room_id, "", here.guild)

    def parse_platform_role(self, token: str, here: bool) -> str | None:
        """`power:N` → everyone with a power level of N or more in the room they write in."""
        return parse_power_role(token)

    def parse_mention(self, token: str) -> UserRef | None:
        """A pill URL, `@user:server`, `@user` on the bot's server, or a unique display name."""
        token = token.strip()
        user = pill_user(token)
        if user is None and token.startswith("@") and ":" in token:
            user = token
        server = self.config.user_id.split(":", 1)[1]
        if user is None and token.startswith("@") and token[1:] and all(
                c.isalnum() or c in "._=-/+" for c in token[1:]):
            candidate = f"{token.lower()}:{server}"
            if self._known_user(candidate):
                user = candidate
            else:
                user = self._by_display_name(token[1:])
        elif user is None and token:
            user = self._by_display_name(token.lstrip("@"))
        if user is None:
            return None
        name = next((n for r in self._rooms() if (n := Names(r).get(user))), "")
        return UserRef(PLATFORM, user, name or user.split(":", 1)[0].lstrip("@"),
                       is_bot=user == self.config.user_id or user in self.policy.bots)

    def _rooms(self) -> list[MatrixRoom]:
        return list(self.client.rooms.values()) if self.client is not None else []

    def _known_user(self, user_id: str) -> bool:
        return any(user_id in room.users for room in self._rooms()) or not self._rooms()

    def _by_display_name(self, name: str) -> str | None:
        matches = {uid for room in self._rooms() for uid, u in room.users.items()
                   if u.display_name == name}
        return matches.pop() if len(matches) == 1 else None

    def _aliases(self, room_id: str) -> dict[str, str]:
        """`@Display Name` → user id for the room's members (names shared by two are left out)."""
        room = self.client.rooms.get(room_id) if self.client is not None else None
        if room is None:
            return {}
        seen: dict[str, str | None] = {}
        for uid, user in room.users.items():
            name = user.display_name
            if name and name != uid and uid != self.config.user_id:
                seen[name] = None if name in seen else uid
        return {name: uid for name, uid in seen.items() if uid is not None}

    async def resolve_role(self, user: UserRef, room: RoomRef) -> Role:
        view = self.view(room.id)
        return role_for(view.level(user.id), self.policy.moderator_level,
                        self.policy.admin_level)


class SyncFailed(Exception):
    """A /sync answered with an error (the loop backs off, honouring a 429's delay)."""

    def __init__(self, response: object) -> None:
        super().__init__(str(response))
        self.status_code = str(getattr(response, "status_code", "") or "")
        wait = getattr(response, "retry_after_ms", None)
        self.retry_after = wait / 1000 if isinstance(wait, int) and wait > 0 else None
